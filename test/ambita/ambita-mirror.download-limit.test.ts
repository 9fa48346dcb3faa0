/**
 * max_download_bytes against the Ambita sandbox over real sockets: an asset announced too large, one streamed
 * without a Content-Length past the limit, one with more bytes than its Content-Length. Each leaves no file
 * (temporary or final) and records its reason; a refusal for size is not fetched again run after run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../helpers/database.js';
import { CADASTRE_REQUEST, listFiles, type MirrorHarness, PIPELINE, startMirrorHarness } from './harness.js';

const LIMIT = 1024 * 1024;
const HUGE = 4 * 1024 * 1024;

let h: MirrorHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe.each(testDatabaseKinds)('ambita-mirror download limit on %s', (kind) => {
  it('refuses too large assets once, fails one with more bytes than announced; no file left, reasons recorded', async () => {
    h = await startMirrorHarness(kind, { ambita: { max_download_bytes: LIMIT, retry: { max_attempts: 2, base_delay_ms: 1, max_delay_ms: 2 } } });
    const sandbox = h.sandbox;
    await h.order(CADASTRE_REQUEST);
    await h.run();
    const order = [...sandbox.book.orders.values()][0]!;
    const failures = () => h!.t.db.kysely.selectFrom('download_failures').selectAll().where('pipeline', '=', PIPELINE).orderBy('item_key').execute();
    const downloads = () => sandbox.requestCount('/shopping/v2/assets/');

    // Announced too large: refused before the body is read, one request each, and the run says so (exit 3).
    sandbox.oversizeNextDownloads(10, { mode: 'declared', bytes: HUGE });
    await sandbox.finish(order.id);
    const first = await h.run({ full: true });
    const refusedIds = (await failures()).map((f) => f.item_key);
    expect(refusedIds.length).toBeGreaterThan(0);
    expect(first.outcome).toBe('rejected');
    expect(downloads()).toBe(refusedIds.length);
    expect(await listFiles(h.root)).toEqual([]);
    for (const f of await failures()) {
      expect(f.permanent).toBe(true);
      expect(f.reason).toContain(`is larger than upstreams.ambita.max_download_bytes (${LIMIT}): its Content-Length is ${HUGE} bytes`);
    }

    // Not fetched again by later runs while the limit stands.
    sandbox.oversizeNextDownloads(0, { mode: 'declared', bytes: 0 });
    const second = await h.run({ full: true });
    expect(second.outcome).toBe('succeeded');
    expect(second.plan!.summary).toMatchObject({ downloads: 0, refused_downloads: refusedIds.length });
    expect(downloads()).toBe(refusedIds.length);

    // No Content-Length, past the limit: cut off while streaming.
    const unannounced = await sandbox.addAsset(order.id);
    sandbox.oversizeNextDownloads(1, { mode: 'unannounced', bytes: HUGE });
    expect((await h.run({ full: true })).outcome).toBe('rejected');
    expect(await listFiles(h.root)).toEqual([]);
    const cut = (await failures()).find((f) => f.item_key === unannounced.id);
    expect(cut).toMatchObject({ permanent: true });
    expect(cut!.reason).toContain(`more than ${LIMIT} bytes arrived without a Content-Length that says so`);

    // More bytes than announced: a failure (both attempts), retried by the next run, which gets the real file.
    const lying = await sandbox.addAsset(order.id);
    sandbox.oversizeNextDownloads(2, { mode: 'lying', bytes: HUGE });
    expect((await h.run({ full: true })).outcome).toBe('attention');
    expect(await listFiles(h.root)).toEqual([]);
    const failed = (await failures()).find((f) => f.item_key === lying.id);
    expect(failed).toMatchObject({ permanent: false });
    expect(failed!.reason).toContain('more bytes than its Content-Length announced');
    const orderRow = await h.t.db.kysely.selectFrom('ambita_orders').select('last_error').where('order_id', '=', order.id).executeTakeFirstOrThrow();
    expect(orderRow.last_error).toContain('retried next run');

    expect((await h.run({ full: true })).outcome).toBe('succeeded');
    expect(await listFiles(h.root)).toHaveLength(1);
    expect((await failures()).map((f) => f.item_key).sort()).toEqual([...refusedIds, unannounced.id].sort());
  });
});
