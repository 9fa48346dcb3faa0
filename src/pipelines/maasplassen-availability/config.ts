import { z } from 'zod';
import { csvOptionsSchema } from '../../core/csv-source.js';
import { singleStatement } from './config-sql-statement.js';

const csvSourceSchema = csvOptionsSchema.extend({
  /** CSV file with one row per boat-date. @example "./inbox/availability.csv" */
  csv: z.string().min(1).describe('path of the CSV file'),
});

const sqlSourceSchema = z
  .object({
    sql: z
      .object({
        /** The booking system's Postgres (read only is enough). @example "${BOOKING_DATABASE_URL}" */
        url: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL').describe('booking database URL'),
        /**
         * One SELECT returning one row per boat-date, with the columns the mapping names. Exactly one statement
         * (a single trailing ";" is allowed); it runs in a read-only session through the extended protocol.
         */
        query: z
          .string()
          .min(1)
          .superRefine((query, ctx) => {
            const one = singleStatement(query);
            if (!one.ok) ctx.addIssue({ code: 'custom', message: one.reason, input: query });
          })
          .describe('one SELECT returning one row per boat-date'),
        /** Longest a statement of the query (opening the cursor, each fetch) may run before Postgres cancels it. @default 60000 */
        statement_timeout_ms: z.number().int().min(1).max(86_400_000).default(60_000).describe('statement_timeout in ms'),
      })
      .strict(),
  })
  .strict();

/** Settings of a `maasplassen-availability` pipeline (besides name, type, schedule, enabled). */
export const maasplassenAvailabilityConfigSchema = z
  .object({
    /** Where availability comes from: `{ csv: path, delimiter?, encoding? }` or `{ sql: { url, query } }`. */
    source: z.union([csvSourceSchema.strict(), sqlSourceSchema]).describe('CSV file or SQL query'),
    /** Mapping file from source columns to boat, date and price options. @default "./mappings/maasplassen-availability.yaml" */
    mapping: z.string().min(1).default('./mappings/maasplassen-availability.yaml').describe('column mapping file'),
    /** Boat-dates per request. @default 200 */
    chunk_size: z.number().int().min(1).max(5000).default(200).describe('boat-dates per request'),
  })
  .strict();

export type MaasplassenAvailabilityConfig = z.output<typeof maasplassenAvailabilityConfigSchema>;
