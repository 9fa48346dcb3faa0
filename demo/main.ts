/**
 * `npm run demo`: starts the sandboxes, runs every pipeline against them on the embedded database in
 * `data/demo`, and prints a short summary per pipeline. Needs no database server and no network.
 */
import { resolve } from 'node:path';
import { startAllSandboxes } from '../sandbox/start-all.js';
import { createDemoEnv, type DemoStep } from './demo-env.js';
import { maasplassenAvailabilityDemo } from './maasplassen-availability.js';
import { planogramCatalogDemo } from './planogram-catalog.js';
import { planviewerMirrorDemo } from './planviewer-mirror.js';
import { ambitaMirrorDemo } from './ambita-mirror.js';

/** One line per pipeline that has a demo. */
const STEPS: DemoStep[] = [maasplassenAvailabilityDemo, planogramCatalogDemo, planviewerMirrorDemo, ambitaMirrorDemo];

/** `--console`: end with a daemon serving the console on the demo state (port from `--port`, default 8080). */
const withConsole = process.argv.includes('--console');
const portFlag = process.argv.indexOf('--port');
const consolePort = portFlag > 0 ? Number(process.argv[portFlag + 1]) : 8080;

async function main(): Promise<number> {
  const sandboxes = await startAllSandboxes(0);
  const env = createDemoEnv(resolve('data/demo'), Object.fromEntries(sandboxes.map((s) => [s.name, s.handle])));
  let failed = false;
  try {
    process.stdout.write(`koppel demo — sandboxes: ${sandboxes.map((s) => `${s.name} ${s.handle.url}`).join(', ')}\n\n`);
    for (const step of STEPS) {
      const lines = await step(env);
      failed ||= lines.some((l) => l.includes('→ failed') || l.includes('error:'));
      process.stdout.write(`${lines.join('\n')}\n\n`);
    }
    process.stdout.write(`State is kept in ${env.dir} (delete it to start over); logs in ${env.dir}/koppel.log.\n`);
    if (withConsole) {
      const { serveDemoConsole } = await import('./console.js');
      await serveDemoConsole(env, consolePort, (text) => process.stdout.write(`\n${text}`));
    }
  } finally {
    for (const s of sandboxes) await s.handle.close();
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`demo failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
