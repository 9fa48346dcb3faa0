import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App } from '../../src/core/app.js';
import { openApp } from '../../src/registries.js';
import { LogSink } from './logs.js';
import { makeConfig } from './config.js';
import { type TestDatabaseKind, copyPgliteTemplate, createServerDatabase } from './database.js';
import { findSecretLeaks, namedSecrets } from './secret-leaks.js';

export interface TestApp extends App {
  logs: LogSink;
  /** A scratch folder for this app's files (CSV inputs, storage root). */
  dir: string;
  /**
   * Adds values that must never be logged besides the configured secrets, e.g. the tokens a sandbox handed out.
   * `values` is read at dispose, so tokens issued during the test are included.
   */
  watchSecrets(label: string, values: () => Iterable<string>): void;
  /** Close the app and remove its database and folder; then fail if any secret appears in the logs. */
  dispose(): Promise<void>;
}

/**
 * An app as `koppel run` builds it, on a fresh database of `kind`, logging into a sink. `raw` is the config
 * as it would be written in YAML (without `database`); `build` may use the scratch folder.
 *
 * Every suite that uses it gets the secrets check for free: `dispose()` searches the captured logs for every
 * configured secret (and every watched token), raw and percent-encoded, and throws naming the config key.
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
    database = { url: '', pglite_dir: await copyPgliteTemplate(join(dir, 'pglite')) };
  }
  const config = makeConfig({ log: { level: 'info' }, ...build(dir), database }, env);
  const logs = new LogSink();
  const app = await openApp(config, { logDestination: logs });
  const watched: { label: string; values: () => Iterable<string> }[] = [];
  return Object.assign(Object.create(null) as object, app, {
    logs,
    dir,
    watchSecrets(label: string, values: () => Iterable<string>) {
      watched.push({ label, values });
    },
    async dispose() {
      try {
        await app.close();
        await dropServer?.();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      const secrets = [...namedSecrets(config), ...watched.flatMap((w) => [...w.values()].map((value) => ({ label: w.label, value })))];
      const leaks = findSecretLeaks(logs.text, secrets);
      // The message names where the secret came from and how it appeared, never the secret itself.
      if (leaks.length > 0) throw new Error(`secret(s) found in the logs: ${leaks.join('; ')}`);
    },
  }) as TestApp;
}
