import { z } from 'zod';

export const databaseConfigSchema = z
  .object({
    /** `postgres://…` uses that server; absent or empty uses embedded PGlite in `pglite_dir`. @default "" */
    url: z
      .string()
      .default('')
      .refine((v) => v === '' || /^postgres(ql)?:\/\//.test(v), 'expected a postgres:// URL or empty')
      .describe('postgres:// URL; empty = embedded PGlite'),
    /** Where the embedded database keeps its files (on disk: in memory it grows without bound). @default "./data/pglite" */
    pglite_dir: z.string().min(1).default('./data/pglite').describe('folder of the embedded database'),
    /** Connections in the pool (server only). @default 10 */
    pool_size: z.number().int().min(2).max(100).default(10).describe('connections in the pool'),
  })
  .strict();

export type DatabaseConfig = z.output<typeof databaseConfigSchema>;
