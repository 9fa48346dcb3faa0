import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type App, openApp } from '../../src/core/app.js';
import { LogSink } from './logs.js';
import { makeConfig } from './config.js';
import { type TestDatabaseKind, createServerDatabase } from './database.js';

export interface TestApp extends App {
  logs: LogSink;
  /** A scratch folder for this app's files (CSV inputs, storage root). */
  dir: string;
  /** Close the app and remove its database and folder. */
  dispose(): Promise<void>;
}

/**
 * An app as `koppel run` builds it, on a fresh database of `kind`, logging into a sink. `raw` is the config
 * as it would be written in YAML (without `database`); `build` may use the scratch folder.
 */
export async function createTestApp(kind: TestDatabaseKind, build: (dir: string) => Record<string, unknown>, env: NodeJS.ProcessEnv = {}): Promise<TestApp> {
  const dir = await mkdtemp(join(tmpdir(), 'koppel-test-'));
  let dropServer: (() => Promise<void>) | undefined;
  let database: Record<string, unknown>;
  if (kind === 'postgres') {
    const server = await createServerDatabase();
    dropServer = server.drop;
    database = { url: server.config.url };
  } else {
    database = { url: '', pglite_dir: join(dir, 'pglite') };
  }
  const config = makeConfig({ log: { level: 'info' }, ...build(dir), database }, env);
  const logs = new LogSink();
  const app = await openApp(config, { logDestination: logs });
  return Object.assign(Object.create(null) as object, app, {
    logs,
    dir,
    async dispose() {
      await app.close();
      await dropServer?.();
      await rm(dir, { recursive: true, force: true });
    },
  }) as TestApp;
}
