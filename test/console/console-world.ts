/**
 * A daemon with the console on, against the Maasplassen, Planviewer and Ambita sandboxes over real sockets, on a fresh
 * database; and chromium (Debian's package) driven by playwright-core as a library.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { hashPassword } from '../../src/console/password.js';
import { type DaemonHandle, startDaemon } from '../../src/core/daemon.js';
import { type AmbitaSandbox, startAmbitaSandbox } from '../../sandbox/ambita/server.js';
import { type MaasplassenSandbox, startMaasplassenSandbox } from '../../sandbox/maasplassen/server.js';
import { type PlanviewerSandbox, startPlanviewerSandbox } from '../../sandbox/planviewer/server.js';
import { sandboxAmbitaConfig } from '../ambita/fixtures.js';
import { maasUpstream } from '../fixtures/koppel-process.js';
import { type TestApp, createTestApp } from '../helpers/app.js';
import type { TestDatabaseKind } from '../helpers/database.js';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

/** Where screenshots go (the test output, not committed; README images are copied from here by hand). */
export const SHOTS = join(process.cwd(), 'test-output', 'console');

export const USERS = {
  operator: { name: 'anna', password: 'operator-password-1' },
  viewer: { name: 'victor', password: 'viewer-password-22' },
} as const;

export const PREFIX = '/console/';

/** A configured secret (Planviewer's) that the `leaky` pipeline's failing run writes into its log. */
export const LEAKY_SECRET = 'pv-demo-secret';

export interface ConsoleWorld {
  app: TestApp;
  daemon: DaemonHandle;
  browser: Browser;
  maas: MaasplassenSandbox;
  pv: PlanviewerSandbox;
  ambita: AmbitaSandbox;
  /** `http://127.0.0.1:<port>/console/` */
  base: string;
  /** The Maasplassen input file (`boats` pipeline). */
  csv: string;
  close(): Promise<void>;
}

export async function createConsoleWorld(kind: TestDatabaseKind): Promise<ConsoleWorld> {
  const [maas, pv, ambita] = await Promise.all([startMaasplassenSandbox(), startPlanviewerSandbox(), startAmbitaSandbox()]);
  const [operatorHash, viewerHash] = await Promise.all([hashPassword(USERS.operator.password), hashPassword(USERS.viewer.password)]);
  let csv = '';
  const app = await createTestApp(
    kind,
    (dir) => {
      csv = join(dir, 'availability.csv');
      return {
        storage: { root: join(dir, 'files') },
        http: { port: 0, host: '127.0.0.1' },
        upstreams: {
          maasplassen: maasUpstream(maas),
          planviewer: {
            base_url: pv.url,
            access_key: 'pv-demo-access-key',
            secret: LEAKY_SECRET,
            daily_order_cap: 5,
            retry: { base_delay_ms: 1, max_delay_ms: 5, max_attempts: 4 },
          },
          ambita: sandboxAmbitaConfig(ambita),
        },
        pipelines: [
          { name: 'boats', type: 'maasplassen-availability', source: { csv }, chunk_size: 40 },
          { name: 'pv', type: 'planviewer-mirror', poll: { initial_delay_ms: 0, max_delay_ms: 0, max_wait_ms: 60_000 } },
          { name: 'kode', type: 'ambita-mirror', municipalities: ['9999'], sweep_interval_minutes: 0, daily_order_cap: 20 },
          // Fails on every run with an error that quotes a configured secret (in its input's path): the run page must not show it.
          { name: 'leaky', type: 'maasplassen-availability', source: { csv: join(dir, `no-export-${LEAKY_SECRET}.csv`) } },
        ],
        console: {
          path_prefix: PREFIX,
          users: [
            { name: USERS.operator.name, role: 'operator', hashed_password: operatorHash },
            { name: USERS.viewer.name, role: 'viewer', hashed_password: viewerHash },
          ],
          login_throttle: { max_failures: 3, window_seconds: 600 },
        },
      };
    },
    { MAAS_SECRET: String(maas.credentials.secret) },
  );
  const daemon = await startDaemon(app, { port: 0 });
  await mkdir(SHOTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  return {
    app,
    daemon,
    browser,
    maas,
    pv,
    ambita,
    base: `http://127.0.0.1:${daemon.port}${PREFIX}`,
    csv,
    async close() {
      await browser.close();
      await daemon.stop();
      await app.dispose();
      await Promise.all([maas.close(), pv.close(), ambita.close()]);
    },
  };
}
