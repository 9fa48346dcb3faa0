import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { stringify } from 'yaml';
import type { App } from '../src/core/app.js';
import { type Database, openDatabase } from '../src/db/database.js';
import { openApp, parseConfig } from '../src/registries.js';
import type { RemoteSandbox, SandboxCall } from './sandbox-process.js';

/** What a demo step gets: its folder, the running sandboxes, and a way to run koppel against them. */
export interface DemoEnv {
  /** `data/demo`: the embedded database and inputs live here, so a second demo run sees the first one's state. */
  readonly dir: string;
  readonly sandboxes: Readonly<Record<string, RemoteSandbox>>;
  /** An operation on a sandbox (they run in their own process, demo/sandbox-host.ts). */
  readonly sandboxCall: SandboxCall;
  /** Opens koppel with `upstreams` and `pipelines` (as written in YAML) on the demo database, runs `fn`, closes. */
  withApp<T>(raw: DemoConfig, fn: (app: App) => Promise<T>): Promise<T>;
  /** Every step's upstreams and pipelines together, as the steps gave them (for `--console`'s daemon). */
  combined(): DemoConfig;
  /** Closes the demo database the steps share (before `--console`'s daemon opens the folder itself). */
  close(): Promise<void>;
}

export interface DemoConfig {
  upstreams: Record<string, unknown>;
  pipelines: Record<string, unknown>[];
  storage?: Record<string, unknown>;
}

/** A demo step prints a few lines of summary. */
export type DemoStep = (env: DemoEnv) => Promise<string[]>;

export function createDemoEnv(dir: string, sandboxes: Record<string, RemoteSandbox>, sandboxCall: SandboxCall): DemoEnv {
  mkdirSync(dir, { recursive: true });
  // Logs go to a file so the terminal shows the summary; the file is the same NDJSON the daemon writes.
  const logFile = pino.destination({ dest: join(dir, 'koppel.log'), append: true, sync: true });
  const seen: DemoConfig[] = [];
  // One embedded database for every step, opened by the first: reopening it per step held two PGlite memories
  // at once whenever V8 had not yet collected the closed one (+30-40 MiB at the demo's peak).
  let database: Promise<Database> | undefined;
  return {
    dir,
    sandboxes,
    sandboxCall,
    combined: () => ({
      upstreams: Object.assign({}, ...seen.map((c) => c.upstreams)) as Record<string, unknown>,
      pipelines: [...new Map(seen.flatMap((c) => c.pipelines).map((p) => [p.name, p])).values()],
    }),
    async withApp(raw, fn) {
      seen.push(raw);
      const yaml = stringify({ database: { pglite_dir: join(dir, 'pglite') }, storage: raw.storage ?? { root: join(dir, 'files') }, log: { level: 'info' }, ...raw });
      const config = parseConfig(yaml, process.env, dir, 'demo config');
      database ??= openDatabase(config.database);
      const app = await openApp(config, { logDestination: logFile, database: await database });
      try {
        return await fn(app);
      } finally {
        await app.close();
      }
    },
    async close() {
      const open = database;
      database = undefined;
      await (await open)?.close();
    },
  };
}
