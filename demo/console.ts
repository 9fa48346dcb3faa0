/**
 * `npm run demo -- --console`: after the demo steps, a daemon on the demo's state (every step's pipelines and
 * the sandboxes still running) with the console on, until Ctrl-C. The credentials are the demo's own, printed.
 */
import { join } from 'node:path';
import pino from 'pino';
import { stringify } from 'yaml';
import { hashPassword } from '../src/console/password.js';
import { startDaemon } from '../src/core/daemon.js';
import { openApp, parseConfig } from '../src/registries.js';
import type { DemoEnv } from './demo-env.js';

export const DEMO_USERS = [
  { name: 'operator', role: 'operator', password: 'koppel-demo-operator' },
  { name: 'viewer', role: 'viewer', password: 'koppel-demo-viewer' },
] as const;

/** Starts the daemon and resolves once SIGINT/SIGTERM stopped it. */
export async function serveDemoConsole(env: DemoEnv, port: number, print: (text: string) => void): Promise<void> {
  const users = await Promise.all(DEMO_USERS.map(async (u) => ({ name: u.name, role: u.role, hashed_password: await hashPassword(u.password) })));
  const yaml = stringify({
    database: { pglite_dir: join(env.dir, 'pglite') },
    storage: { root: join(env.dir, 'files') },
    log: { level: 'info' },
    http: { port, host: '127.0.0.1' },
    ...env.combined(),
    console: { path_prefix: '/', users },
  });
  const logFile = pino.destination({ dest: join(env.dir, 'koppel.log'), append: true, sync: true });
  const app = await openApp(parseConfig(yaml, process.env, env.dir, 'demo config'), { logDestination: logFile });
  try {
    const daemon = await startDaemon(app);
    print(
      `console: http://127.0.0.1:${daemon.port}/\n` +
        DEMO_USERS.map((u) => `  ${u.role.padEnd(8)} name ${u.name}, password ${u.password}\n`).join('') +
        'the daemon runs on the demo state until Ctrl-C\n',
    );
    await new Promise<void>((resolve) => {
      const stop = () => void daemon.stop().then(resolve);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  } finally {
    await app.close();
  }
}
