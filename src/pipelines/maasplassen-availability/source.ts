import pg from 'pg';
import { type CsvRow, readCsv } from '../../core/csv-source.js';
import { redactUrl } from '../../db/database.js';
import { ConfigError } from '../../core/errors.js';
import type { MaasplassenAvailabilityConfig } from './config.js';

/** One source row: where it came from (file and line, or query and row number) and its values. */
export interface SourceRow {
  source: string;
  line: number;
  values?: Record<string, unknown>;
  error?: string;
}

const FETCH_SIZE = 1000;

/** Streams the configured source, CSV file or SQL query, as rows; bad CSV records come out as errors. */
export async function* readAvailabilitySource(cfg: MaasplassenAvailabilityConfig['source']): AsyncGenerator<SourceRow> {
  if ('csv' in cfg) {
    for await (const row of readCsv(cfg.csv, cfg) as AsyncGenerator<CsvRow>) {
      yield row.error === undefined ? { source: cfg.csv, line: row.line, values: row.values } : { source: cfg.csv, line: row.line, error: row.error };
    }
    return;
  }
  yield* readQuery(cfg.sql.url, cfg.sql.query);
}

/** Reads a query through a server-side cursor, so a large result never sits in memory at once. */
async function* readQuery(url: string, query: string): AsyncGenerator<SourceRow> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (err) {
    throw new ConfigError(`source.sql.url: cannot connect to ${redactUrl(url)}: ${(err as Error).message}`);
  }
  let n = 0;
  try {
    // Read-only so a mistaken query can never change the booking system.
    await client.query('begin transaction read only');
    await client.query(`declare koppel_source no scroll cursor for ${query.replace(/;\s*$/, '')}`);
    for (;;) {
      const res = await client.query(`fetch ${FETCH_SIZE} from koppel_source`);
      for (const values of res.rows as Record<string, unknown>[]) yield { source: 'source.sql', line: ++n, values };
      if (res.rows.length < FETCH_SIZE) break;
    }
    await client.query('commit');
  } finally {
    await client.end().catch(() => undefined);
  }
}
