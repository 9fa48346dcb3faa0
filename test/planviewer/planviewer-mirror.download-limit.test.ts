/**
 * max_download_bytes against the Planviewer sandbox over real sockets: a deliverable announced too large, one
 * streamed without a Content-Length past the limit, and one with more bytes than its Content-Length. Each
 * leaves no file (temporary or final) and records its reason where `status` shows it; a refusal for size is
 * not fetched again until the limit is raised, the other failure is retried by the next run.
 */
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { collectStatus } from '../../src/cli/commands/status.js';
import type { App } from '../../src/core/app.js';
import { knownDownloadFailures } from '../../src/core/download-failures.js';
import { registries } from '../../src/registries.js';
import { testDatabaseKinds } from '../helpers/database.js';
import { createWorld, PIPELINE, type World } from './harness.js';

const LIMIT = 1024 * 1024;
const HUGE = 4 * 1024 * 1024;

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

describe.each(testDatabaseKinds)('planviewer-mirror download limit on %s', (kind) => {
  let w: World;
  afterEach(async () => w?.close());

  const failures = () => w.t.db.kysely.selectFrom('download_failures').selectAll().where('pipeline', '=', PIPELINE).orderBy('failed_at').execute();
  const retrievals = () => [...w.sandbox.state.retrievals.values()].reduce((a, b) => a + b, 0);

  it('refuses too large (announced, or unannounced past the limit), fails more than announced; no file left, reasons recorded', async () => {
    w = await createWorld(kind, { upstream: { max_download_bytes: LIMIT, retry: { base_delay_ms: 1, max_delay_ms: 5, max_attempts: 2 } } });

    // 1. Content-Length above the limit: refused before the body is read, one attempt only.
    w.sandbox.wireFaults.oversize = { mode: 'declared', bytes: HUGE };
    await w.enqueue({ address: '6512EX 2', product: 'vraagprijsrapport' });
    const declared = await w.run();
    expect(declared.outcome).toBe('rejected'); // exit 3: needs a human
    expect(declared.rejections?.[0]).toMatchObject({ field: 'max_download_bytes' });
    expect(retrievals()).toBe(1);
    expect(await listFiles(w.root)).toEqual([]);
    let rows = await failures();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ permanent: true });
    expect(Number(rows[0]!.bytes)).toBe(HUGE);
    expect(rows[0]!.reason).toContain(`is larger than upstreams.planviewer.max_download_bytes (${LIMIT}): its Content-Length is ${HUGE} bytes`);
    expect(rows[0]!.reason).toContain(`raised to at least ${HUGE}`);

    // 2. No Content-Length, a body past the limit: cut off while streaming.
    w.sandbox.wireFaults.oversize = { mode: 'unannounced', bytes: HUGE };
    await w.enqueue({ address: '6811LW 61', product: 'vraagprijsrapport' });
    const unannounced = await w.run();
    expect(unannounced.outcome).toBe('rejected');
    expect(retrievals()).toBe(2); // the refused job of step 1 was not fetched again
    expect(await listFiles(w.root)).toEqual([]);
    rows = await failures();
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({ permanent: true });
    expect(rows[1]!.reason).toContain(`more than ${LIMIT} bytes arrived without a Content-Length that says so`);

    // 3. More bytes than the Content-Length announced: a failed (retryable) download, retried by the next run.
    w.sandbox.wireFaults.oversize = { mode: 'lying', bytes: HUGE };
    const lyingRequest = await w.enqueue({ address: '2011RD 1', product: 'vraagprijsrapport' });
    const lying = await w.run();
    expect(lying.outcome).toBe('attention');
    expect(retrievals()).toBe(4); // two attempts (max_attempts: 2), the refused jobs not fetched
    expect(await listFiles(w.root)).toEqual([]);
    rows = await failures();
    expect(rows).toHaveLength(3);
    expect(rows[2]).toMatchObject({ permanent: false });
    expect(rows[2]!.reason).toContain('more bytes than its Content-Length announced');

    // status shows each with what happens next (through the same collectStatus as `koppel status`).
    const app = { config: w.config, db: { kysely: w.t.db.kysely }, registries, scrub: (t: string) => t } as unknown as App;
    const [status] = await collectStatus(app);
    const shown = (status as { download_failures: { item: string; reason: string; next: string }[] }).download_failures;
    expect(shown.map((f) => f.next).sort()).toEqual(['refused until max_download_bytes is raised', 'refused until max_download_bytes is raised', 'retried on the next run (failed 1 time(s))']);

    // 4. The upstream behaves again: the failed one lands and its record is cleared; the refused stay refused.
    w.sandbox.wireFaults.oversize = null;
    const again = await w.run();
    expect(again.outcome).toBe('succeeded');
    expect(retrievals()).toBe(5);
    const files = await w.t.db.kysely.selectFrom('planviewer_files').select(['request_id', 'path']).execute();
    expect(files.map((f) => Number(f.request_id))).toEqual([lyingRequest]);
    expect(await listFiles(w.root)).toEqual([files[0]!.path]);
    rows = await failures();
    expect(rows.map((r) => r.permanent)).toEqual([true, true]);

    // 5. A limit raised above the one that refused them lets the next run fetch them.
    expect((await knownDownloadFailures(w.t.db.kysely, PIPELINE, LIMIT)).refused.size).toBe(2);
    expect((await knownDownloadFailures(w.t.db.kysely, PIPELINE, LIMIT + 1)).refused.size).toBe(0);
  });
});
