/**
 * Secrets at their source. The app's logger also scrubs configured secrets from every line as a last line of
 * defence, so `createTestApp().dispose()` (which every suite using it runs) can only prove that net holds. Here
 * each pipeline runs against its sandbox with that net OFF (key-path redaction only, debug level, faults that
 * make clients log errors, retry and re-authenticate), and the logs are searched for every configured secret,
 * every token the sandboxes handed out, and Planviewer's Basic credentials: a hit is a leak at its source.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KoppelEvents } from '../../src/core/events.js';
import { createLogger } from '../../src/core/logger.js';
import { enqueueOrderRequest } from '../../src/orders/index.js';
import { Runner } from '../../src/core/runner.js';
import { dateRange, exampleAvailability, writeAvailabilityCsv } from '../../demo/availability-data.js';
import { writeExampleCatalog } from '../../demo/planogram-catalog-data.js';
import { startAmbitaSandbox } from '../../sandbox/ambita/server.js';
import { UpstreamClients } from '../../src/core/upstream-clients.js';
import { registries } from '../../src/registries.js';
import { startMaasplassenSandbox } from '../../sandbox/maasplassen/server.js';
import { startPlanogramBuilderSandbox } from '../../sandbox/planogrambuilder/server.js';
import { startPlanviewerSandbox } from '../../sandbox/planviewer/server.js';
import { sandboxAmbitaConfig } from '../ambita/fixtures.js';
import { makeConfig } from '../helpers/config.js';
import { createTestDatabase } from '../helpers/database.js';
import { LogSink } from '../helpers/logs.js';
import { findSecretLeaks, type NamedSecret, namedSecrets } from '../helpers/secret-leaks.js';
import { sandboxUpstreamConfig } from '../planogram/plano-fixtures.js';
import { KIND } from '../helpers/maas-world.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A runner whose logger has key-path redaction but no secret list, so nothing hides a leak. */
async function world(raw: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'koppel-leaks-'));
  const t = await createTestDatabase(KIND);
  const config = makeConfig({ storage: { root: join(dir, 'files') }, ...raw }, env);
  const logs = new LogSink();
  const log = createLogger({ level: 'debug', destination: logs });
  const events = new KoppelEvents(log);
  const upstreams = new UpstreamClients(registries.upstreams, config.upstreams, events, log);
  const runner = new Runner({ config, db: t.db, registries, upstreams, events, log });
  cleanups.push(async () => {
    await upstreams.close();
    await t.drop();
    await rm(dir, { recursive: true, force: true });
  });
  return { dir, config, db: t.db.kysely, logs, runner, secrets: namedSecrets(config) };
}

function expectNoLeaks(text: string, secrets: NamedSecret[]): void {
  expect(text.length).toBeGreaterThan(0);
  expect(findSecretLeaks(text, secrets)).toEqual([]);
}

describe('no secret or token reaches a log line at its source (logger scrubbing off)', () => {
  it('maasplassen-availability under 5xx and 429 faults', async () => {
    const sandbox = await startMaasplassenSandbox({ faults: { errorRate: 0.3, rateLimitRate: 0.1, retryAfterSeconds: 0.01, seed: 3 } });
    cleanups.push(() => sandbox.close());
    const w = await world({
      upstreams: { maasplassen: { base_url: sandbox.url, apikey: sandbox.credentials.apikey, secret: sandbox.credentials.secret, company_id: 1, retry: { base_delay_ms: 1, max_delay_ms: 5, max_attempts: 8 } } },
      pipelines: [{ name: 'boats', type: 'maasplassen-availability', source: { csv: '${CSV}' }, chunk_size: 7 }],
    }, { CSV: join(tmpdir(), `koppel-leaks-${process.pid}.csv`) });
    const csv = (w.config.pipelines[0]!.settings as { source: { csv: string } }).source.csv;
    cleanups.push(() => rm(csv, { force: true }));
    await writeAvailabilityCsv(csv, exampleAvailability(['91', '92', '93'], dateRange('2027-06-01', 10)), ['4711,2027-06-01,ja,x,,1,,,']);
    await w.runner.run('boats');
    expect(w.logs.text).toContain('retrying');
    expectNoLeaks(w.logs.text, w.secrets);
  });

  it('planogram-catalog with its session token revoked mid-run', async () => {
    const sandbox = await startPlanogramBuilderSandbox();
    cleanups.push(() => sandbox.close());
    const w = await world({
      upstreams: { planogrambuilder: sandboxUpstreamConfig(sandbox) },
      pipelines: [{ name: 'catalog', type: 'planogram-catalog', source: { products: '${DIR}/products.csv', images: '${DIR}/images' }, mapping: 'mappings/products.yaml' }],
    }, { DIR: join(tmpdir(), `koppel-leaks-cat-${process.pid}`) });
    const dir = join(tmpdir(), `koppel-leaks-cat-${process.pid}`);
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await writeExampleCatalog({ dir, products: 30, badRows: true });
    sandbox.revokeTokens(10);
    await w.runner.run('catalog');
    expect(sandbox.state.issuedTokens.length).toBeGreaterThan(1); // it did sign in again
    expectNoLeaks(w.logs.text, [...w.secrets, ...sandbox.state.issuedTokens.map((value) => ({ label: 'planogrambuilder access token', value }))]);
  });

  it('planviewer-mirror (Basic auth) with a 402 and a failing job', async () => {
    const sandbox = await startPlanviewerSandbox();
    cleanups.push(() => sandbox.close());
    const w = await world({
      upstreams: { planviewer: { base_url: sandbox.url, access_key: 'pv-demo-access-key', secret: 'pv-demo-secret', retry: { base_delay_ms: 1, max_delay_ms: 5 } } },
      pipelines: [{ name: 'pv', type: 'planviewer-mirror', poll: { initial_delay_ms: 0, max_delay_ms: 0, max_wait_ms: 60_000 } }],
    });
    for (const address of ['6512EX 2', '3511ED 1', '1234ZZ 1']) await enqueueOrderRequest(w.db, { upstream: 'planviewer', request: { address, product: 'hypotheekinformatie' } });
    await w.runner.run('pv');
    sandbox.setPaymentOnAccount(false);
    await enqueueOrderRequest(w.db, { upstream: 'planviewer', request: { address: '6811LW 61', product: 'vraagprijsrapport' } });
    await w.runner.run('pv');
    const basic = Buffer.from('pv-demo-access-key:pv-demo-secret').toString('base64');
    expectNoLeaks(w.logs.text, [...w.secrets, { label: 'planviewer Basic credentials', value: basic }]);
  });

  it('ambita-mirror with expired and revoked OAuth tokens', async () => {
    const sandbox = await startAmbitaSandbox();
    cleanups.push(() => sandbox.close());
    const w = await world({
      upstreams: { ambita: sandboxAmbitaConfig(sandbox) },
      pipelines: [{ name: 'ambita', type: 'ambita-mirror', municipalities: ['9999'], sweep_interval_minutes: 60 }],
    });
    await enqueueOrderRequest(w.db, { upstream: 'ambita', pipeline: 'ambita', request: { products: ['WI99990001'], orderData: { address: 'Infoveien 1, 9999 Infoland', cadastre: '9999-1-1-0-0' } } });
    await w.runner.run('ambita');
    const orderId = [...sandbox.book.orders.keys()][0]!;
    await sandbox.finish(orderId);
    sandbox.expireTokens();
    await w.runner.run('ambita');
    sandbox.revokeTokens();
    await sandbox.addAsset(orderId, {});
    await w.runner.run('ambita');
    expect(sandbox.tokensIssued()).toBeGreaterThan(1);
    expectNoLeaks(w.logs.text, [...w.secrets, ...sandbox.issuedTokens().map((value) => ({ label: 'ambita access/refresh token', value }))]);
  });
});
