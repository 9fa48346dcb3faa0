/**
 * `koppel status` shows stored error messages and vendor texts. They pass through the same secret definition
 * as the logs: a configured secret, a URL password or a value under a secret key is never shown.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { collectStatus } from '../../src/cli/commands/status.js';
import { type TestApp, createTestApp } from '../helpers/app.js';

const MAAS_SECRET = 'sk.status-secret-4f1e';
let app: TestApp | undefined;
afterEach(async () => {
  await app?.dispose();
  app = undefined;
});

describe('status output and secrets', () => {
  it('a run error and a rejection quoting a secret, a URL password and a token are shown redacted', async () => {
    app = await createTestApp(
      'pglite',
      (dir) => ({
        upstreams: { maasplassen: { base_url: 'http://127.0.0.1:1/api/v2', apikey: 'pub.status-key-1', secret: '${MAAS_SECRET}', company_id: 1 } },
        pipelines: [{ name: 'boats', type: 'maasplassen-availability', source: { csv: join(dir, 'a.csv') } }],
      }),
      { MAAS_SECRET },
    );
    const db = app.db.kysely;
    const run = await db
      .insertInto('runs')
      .values({ pipeline: 'boats', type: 'maasplassen-availability', outcome: 'failed', dry_run: false, full_sync: false, host: 'h', pid: 1, error: `signing with ${MAAS_SECRET} failed; db postgres://koppel:db-pw-9911@db.example/k` })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db.insertInto('rejections').values({ run_id: run.id, pipeline: 'boats', reason: `vendor said: bad hmac ${encodeURIComponent(MAAS_SECRET)}` }).execute();
    const status = await collectStatus(app);
    const text = JSON.stringify(status);
    expect(text).toContain('signing with [redacted] failed; db postgres://koppel:[redacted]@db.example/k');
    expect(text).toContain('vendor said: bad hmac [redacted]');
    expect(text).not.toContain(MAAS_SECRET);
    expect(text).not.toContain(encodeURIComponent(MAAS_SECRET));
    expect(text).not.toContain('db-pw-9911');
  });
});
