import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { stringify } from 'yaml';
import type { App } from '../src/core/app.js';
import { openApp, parseConfig } from '../src/registries.js';
import type { SandboxHandle } from '../sandbox/kit.js';

/** What a demo step gets: its folder, the running sandboxes, and a way to run koppel against them. */
export interface DemoEnv {
  /** `data/demo`: the embedded database and inputs live here, so a second demo run sees the first one's state. */
  readonly dir: string;
  readonly sandboxes: Readonly<Record<string, SandboxHandle>>;
  /** Opens koppel with `upstreams` and `pipelines` (as written in YAML) on the demo database, runs `fn`, closes. */
  withApp<T>(raw: { upstreams: Record<string, unknown>; pipelines: Record<string, unknown>[]; storage?: Record<string, unknown> }, fn: (app: App) => Promise<T>): Promise<T>;
}

/** A demo step prints a few lines of summary. */
export type DemoStep = (env: DemoEnv) => Promise<string[]>;

export function createDemoEnv(dir: string, sandboxes: Record<string, SandboxHandle>): DemoEnv {
  mkdirSync(dir, { recursive: true });
  // Logs go to a file so the terminal shows the summary; the file is the same NDJSON the daemon writes.
  const logFile = pino.destination({ dest: join(dir, 'koppel.log'), append: true, sync: true });
  return {
    dir,
    sandboxes,
    async withApp(raw, fn) {
      const yaml = stringify({ database: { pglite_dir: join(dir, 'pglite') }, storage: raw.storage ?? { root: join(dir, 'files') }, log: { level: 'info' }, ...raw });
      const app = await openApp(parseConfig(yaml, process.env, dir, 'demo config'), { logDestination: logFile });
      try {
        return await fn(app);
      } finally {
        await app.close();
      }
    },
  };
}
