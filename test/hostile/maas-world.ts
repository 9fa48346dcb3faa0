/**
 * A maasplassen-availability app on a real sandbox socket for hostile-input tests: the CSV path, the rows the
 * sandbox holds, and the rejections of a run, so each case can show the error and what was not lost.
 */
import { join } from 'node:path';
import { AVAILABILITY_HEADER } from '../../demo/availability-data.js';
import type { RunResult } from '../../src/core/types.js';
import type { MaasplassenSandbox } from '../../sandbox/maasplassen/server.js';
import { type TestApp, createTestApp } from '../helpers/app.js';
import { testDatabaseKinds } from '../helpers/database.js';
import { maasUpstream } from '../fixtures/koppel-process.js';

/** The real server when there is one (it refuses what PGlite might let pass), else PGlite. */
export const KIND = testDatabaseKinds[0]!;

export const HEADER = AVAILABILITY_HEADER.join(',');

/** A good row for a fleet boat (91..95 belong to company 1) on 2027-06-<day>. */
export const good = (boat: string, day: number, cents = 9500) => `${boat},2027-06-${String(day).padStart(2, '0')},ja,Hele dag,Ganzer Tag,${cents},,,`;

export interface MaasWorld {
  app: TestApp;
  csv: string;
  run(): Promise<RunResult>;
  rejections(runId: number | null): Promise<{ source: string | null; line: number | null; field: string | null; reason: string; value: unknown }[]>;
}

/** `pipeline` adds settings to the pipeline entry (a function gets the scratch folder); `upstream` to the upstream block. */
export async function maasWorld(
  sandbox: MaasplassenSandbox,
  pipeline: Record<string, unknown> | ((dir: string) => Record<string, unknown>) = {},
  upstream: Record<string, unknown> = {},
): Promise<MaasWorld> {
  let csv = '';
  const app = await createTestApp(
    KIND,
    (dir) => {
      csv = join(dir, 'availability.csv');
      return {
        upstreams: { maasplassen: maasUpstream(sandbox, upstream) },
        pipelines: [{ name: 'boats', type: 'maasplassen-availability', source: { csv }, ...(typeof pipeline === 'function' ? pipeline(dir) : pipeline) }],
      };
    },
    { MAAS_SECRET: String(sandbox.credentials.secret) },
  );
  return {
    app,
    csv,
    run: () => app.runner.run('boats'),
    rejections: (runId) =>
      app.db.kysely.selectFrom('rejections').select(['source', 'line', 'field', 'reason', 'value']).where('run_id', '=', runId!).orderBy('line').execute(),
  };
}
