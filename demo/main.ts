/**
 * `npm run demo`: starts the sandboxes (in a child process, so this process is koppel's alone), runs every
 * pipeline against them on the embedded database in `data/demo`, and prints a short summary per pipeline. Needs
 * no database server and no network.
 */
import { resolve } from 'node:path';
import { createDemoEnv, type DemoStep } from './demo-env.js';
import { maasplassenAvailabilityDemo } from './maasplassen-availability.js';
import { planogramCatalogDemo } from './planogram-catalog.js';
import { planviewerMirrorDemo } from './planviewer-mirror.js';
import { ambitaMirrorDemo } from './ambita-mirror.js';
import { startSandboxProcess } from './sandbox-process.js';

/** One line per pipeline that has a demo. */
const STEPS: DemoStep[] = [maasplassenAvailabilityDemo, planogramCatalogDemo, planviewerMirrorDemo, ambitaMirrorDemo];

/** `--console`: end with a daemon serving the console on the demo state (port from `--port`, default 8080). */
const withConsole = process.argv.includes('--console');
const portFlag = process.argv.indexOf('--port');
const consolePort = portFlag > 0 ? Number(process.argv[portFlag + 1]) : 8080;

async function main(): Promise<number> {
  const host = await startSandboxProcess();
  const env = createDemoEnv(resolve('data/demo'), Object.fromEntries(host.sandboxes.map((s) => [s.name, s.sandbox])), host.call);
  let failed = false;
  try {
    process.stdout.write(`koppel demo — sandboxes: ${host.sandboxes.map((s) => `${s.name} ${s.sandbox.url}`).join(', ')}\n\n`);
    for (const step of STEPS) {
      const lines = await step(env);
      failed ||= lines.some((l) => l.includes('→ failed') || l.includes('error:'));
      process.stdout.write(`${lines.join('\n')}\n\n`);
    }
    process.stdout.write(`State is kept in ${env.dir} (delete it to start over); logs in ${env.dir}/koppel.log.\n`);
    await env.close();
    if (withConsole) {
      const { serveDemoConsole } = await import('./console.js');
      await serveDemoConsole(env, consolePort, (text) => process.stdout.write(`\n${text}`));
    }
  } finally {
    await env.close();
    await host.stop();
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
