import pg from 'pg';
import { readCsvBatches } from '../../core/csv-source.js';
import { redactUrl } from '../../db/database.js';
import { ConfigError } from '../../core/errors.js';
import type { MaasplassenAvailabilityConfig } from './config.js';
import { singleStatement } from './config-sql-statement.js';

/** One source row: its line in the file (or row number in the query's result) and its fields, or why not. */
export interface SourceRow {
  line: number;
  /** The row's values in the order of its batch's `columns`. */
  fields?: readonly unknown[];
  error?: string;
}

/**
 * Rows of one source, a file chunk or a cursor fetch: where they came from and their column names are said
 * once, not per row.
 */
export interface SourceBatch {
  source: string;
  columns: readonly string[];
  rows: readonly SourceRow[];
}

const FETCH_SIZE = 1000;

type SqlSource = Extract<MaasplassenAvailabilityConfig['source'], { sql: unknown }>['sql'];

/**
 * Streams the configured source, CSV file or SQL query, as batches of rows (a file chunk or a cursor fetch
 * each: one await per batch, not per row); bad CSV records come out as errors.
 */
export async function* readAvailabilitySource(cfg: MaasplassenAvailabilityConfig['source']): AsyncGenerator<SourceBatch> {
  if ('csv' in cfg) {
    for await (const { header, rows } of readCsvBatches(cfg.csv, cfg)) yield { source: cfg.csv, columns: header, rows };
    return;
  }
  yield* readQuery(cfg.sql);
}

/** Postgres error codes the source explains instead of passing on. */
const SYNTAX_ERROR = '42601';
const READ_ONLY_TRANSACTION = '25006';
const QUERY_CANCELED = '57014';

/**
 * Date and time columns come through as Postgres's own text (`2027-06-01`), never as a JS Date: pg would make
 * a `date` local midnight, and formatting that in UTC moves it a day back in every zone east of UTC.
 */
const TEXT_AS_SENT = new Set<number>([pg.types.builtins.DATE, pg.types.builtins.TIMESTAMP, pg.types.builtins.TIMESTAMPTZ]);
const sourceTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    TEXT_AS_SENT.has(oid) ? (value: string) => value : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * Reads the query through a server-side cursor, so a large result never sits in memory at once. The query is
 * one statement (checked here as well as in the config), sent with the extended protocol, which Postgres
 * refuses to run as several; the session is read-only and every statement bounded by `statement_timeout_ms`.
 */
async function* readQuery(sql: SqlSource): AsyncGenerator<SourceBatch> {
  const one = singleStatement(sql.query);
  if (!one.ok) throw new ConfigError(`source.sql.query: ${one.reason}`);
  const client = new pg.Client({ connectionString: sql.url, types: sourceTypes, application_name: 'koppel' });
  // A session the server ends mid-read emits 'error' besides failing the query in hand; unhandled, it would crash.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    throw new ConfigError(`source.sql.url: cannot connect to ${redactUrl(sql.url)}: ${(err as Error).message}`);
  }
  let n = 0;
  try {
    // Session settings after connecting, so options in the URL cannot loosen them; the transaction is
    // read-only twice over (the session default and its own mode), which the query cannot change.
    await client.query('set session default_transaction_read_only = on');
    await client.query(`set session statement_timeout = ${sql.statement_timeout_ms}`);
    await client.query('begin transaction read only');
    await declareCursor(client, one.statement);
    for (;;) {
      const res = await client.query<unknown[]>({ text: `fetch ${FETCH_SIZE} from koppel_source`, rowMode: 'array' });
      if (res.rows.length > 0) {
        yield { source: 'source.sql', columns: res.fields.map((f) => f.name), rows: res.rows.map((fields) => ({ line: ++n, fields })) };
      }
      if (res.rows.length < FETCH_SIZE) break;
    }
    await client.query('commit');
  } catch (err) {
    throw explainQueryError(err, sql);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Opens the cursor with the extended protocol (a named statement: Parse/Bind/Execute). Postgres refuses to
 * prepare more than one command, so text after a `;` can never run, whatever the config check thought.
 */
export async function declareCursor(client: pg.Client, statement: string): Promise<void> {
  await client.query({ name: 'koppel_source_cursor', text: `declare koppel_source no scroll cursor for ${statement}`, values: [] });
}

function explainQueryError(err: unknown, sql: SqlSource): Error {
  const code = (err as { code?: unknown }).code;
  const message = (err as Error).message;
  if (code === SYNTAX_ERROR && /multiple commands/.test(message)) {
    return new ConfigError(`source.sql.query: expected exactly one SQL statement; Postgres refused it: ${message}`);
  }
  if (code === READ_ONLY_TRANSACTION) {
    return new ConfigError(`source.sql.query: the query tries to change the booking database, which koppel only reads: ${message}`);
  }
  if (code === QUERY_CANCELED) {
    return new Error(`source.sql.query: cancelled after source.sql.statement_timeout_ms (${sql.statement_timeout_ms} ms): ${message}`, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}
