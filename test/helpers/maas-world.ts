/**
 * The Maasplassen test world, shared by every suite that runs maasplassen-availability: an app on a real sandbox
 * socket with a `boats` pipeline reading `csv`, the raw config it was built from (for child processes that read
 * the same config), the rows the sandbox holds, and the rejections of a run.
 */
import { join } from 'node:path';
import { AVAILABILITY_HEADER } from '../../demo/availability-data.js';
import type { RunResult } from '../../src/core/types.js';
import type { MaasplassenSandbox } from '../../sandbox/maasplassen/server.js';
import { maasUpstream } from '../fixtures/koppel-process.js';
import { type TestApp, createTestApp } from './app.js';
import { type TestDatabaseKind, testDatabaseKinds } from './database.js';

/** The real server when there is one (it refuses what PGlite might let pass), else PGlite. */
export const KIND = testDatabaseKinds[0]!;

export const HEADER = AVAILABILITY_HEADER.join(',');

/** A good row for a fleet boat (91..95 belong to company 1) on 2027-06-<day>. */
export const good = (boat: string, day: number, cents = 9500) => `${boat},2027-06-${String(day).padStart(2, '0')},ja,Hele dag,Ganzer Tag,${cents},,,`;

export interface MaasWorldOptions {
  /** The database the app runs on. @default KIND */
  kind?: TestDatabaseKind;
  /** Settings added to the `boats` pipeline entry (a function gets the scratch folder). */
  pipeline?: Record<string, unknown> | ((dir: string) => Record<string, unknown>);
  /** Keys added to the `upstreams.maasplassen` block. */
  upstream?: Record<string, unknown>;
  /** Pipeline entries after `boats`, given its CSV path and the scratch folder. */
  more?: (csv: string, dir: string) => Record<string, unknown>[];
  /** Top-level config keys besides `upstreams` and `pipelines` (log, http). */
  config?: Record<string, unknown>;
}

export interface MaasWorld {
  app: TestApp;
  /** The `boats` pipeline's CSV (not written yet). */
  csv: string;
  /** The config as written in YAML, without `database`; its secret comes from `env`. */
  raw: Record<string, unknown>;
  /** The environment the config needs (`MAAS_SECRET`). */
  env: Record<string, string>;
  run(): Promise<RunResult>;
  rejections(runId: number | null): Promise<{ source: string | null; line: number | null; field: string | null; reason: string; value: unknown }[]>;
}

export async function maasWorld(sandbox: MaasplassenSandbox, options: MaasWorldOptions = {}): Promise<MaasWorld> {
  const { kind = KIND, pipeline = {}, upstream = {}, more, config = {} } = options;
  const env = { MAAS_SECRET: String(sandbox.credentials.secret) };
  let csv = '';
  let raw: Record<string, unknown> = {};
  const app = await createTestApp(
    kind,
    (dir) => {
      csv = join(dir, 'availability.csv');
      const boats = { name: 'boats', type: 'maasplassen-availability', source: { csv }, ...(typeof pipeline === 'function' ? pipeline(dir) : pipeline) };
      raw = { ...config, upstreams: { maasplassen: maasUpstream(sandbox, upstream) }, pipelines: [boats, ...(more?.(csv, dir) ?? [])] };
      return raw;
    },
    env,
  );
  return {
    app,
    csv,
    raw,
    env,
    run: () => app.runner.run('boats'),
    rejections: (runId) =>
      app.db.kysely.selectFrom('rejections').select(['source', 'line', 'field', 'reason', 'value']).where('run_id', '=', runId!).orderBy('line').execute(),
  };
}
