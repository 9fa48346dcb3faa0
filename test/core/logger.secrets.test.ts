import { describe, expect, it } from 'vitest';
import { createAppLogger } from '../../src/core/app.js';
import { RetryableError } from '../../src/core/errors.js';
import { makeConfig } from '../helpers/config.js';
import { LogSink } from '../helpers/logs.js';

// Secrets with characters that every encoding treats differently (slash, plus, equals, ampersand, quote,
// backslash, space, percent), so that a redactor matching only the raw text would miss the encoded forms.
const MAAS_SECRET = 'sk.Xy7/q+Z=w&9%zz';
const MAAS_APIKEY = 'pub.bb19faa3-81bc-4bbe-afc9-70850e4c19ea';
const DB_PASSWORD = 'p@ss:w/rd%42';
const AMBITA_SECRET = 'ambita secret "quoted" \\ back!';
const SECRETS = [MAAS_SECRET, MAAS_APIKEY, DB_PASSWORD, AMBITA_SECRET];

/** Every form in which a secret may be written into a log line. */
function forms(secret: string): string[] {
  const form = new URLSearchParams({ s: secret }).toString().slice(2);
  return [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret), form, form.toLowerCase() === form ? form : form.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())];
}

function setup() {
  const config = makeConfig(
    {
      database: { url: '${DATABASE_URL}' },
      upstreams: {
        maasplassen: { base_url: 'http://127.0.0.1:1/api/v2', apikey: MAAS_APIKEY, secret: '${MAAS_SECRET}', company_id: 1 },
        ambita: { client_id: 'koppel', client_secret: '${AMBITA_SECRET}', username: 'u@example.no', password: 'ambita-user-pw' },
      },
    },
    {
      DATABASE_URL: `postgres://koppel:${encodeURIComponent(DB_PASSWORD)}@db.example:5432/koppel`,
      MAAS_SECRET,
      AMBITA_SECRET,
    },
  );
  const sink = new LogSink();
  return { config, sink, log: createAppLogger(config, sink) };
}

function expectNoSecret(text: string): void {
  for (const secret of [...SECRETS, 'ambita-user-pw']) {
    for (const f of forms(secret)) expect(text, `leaked ${JSON.stringify(f)}`).not.toContain(f);
  }
}

describe('log redaction of configured secrets', () => {
  it('the test secrets are really in the config, so the checks below can fail', () => {
    const { config } = setup();
    expect(config.upstreams.maasplassen?.secret).toBe(MAAS_SECRET);
    expect(config.upstreams.ambita?.client_secret).toBe(AMBITA_SECRET);
    expect(config.database.url).toContain(encodeURIComponent(DB_PASSWORD));
  });

  it('redacts secrets in messages, error messages, stacks and causes', () => {
    const { log, sink } = setup();
    log.info(`signing with ${MAAS_SECRET} for ${MAAS_APIKEY}`);
    const cause = new Error(`token request failed: client_secret=${AMBITA_SECRET}`);
    log.error({ err: new RetryableError(`connect ${DB_PASSWORD} refused`, { cause }) }, 'upstream failed');
    log.warn({ err: new Error(`quoted "${AMBITA_SECRET}"`) }, `nested quote`);
    expect(sink.lines.length).toBe(3);
    expect(sink.text).toContain('[redacted]');
    expectNoSecret(sink.text);
  });

  it('redacts secrets percent-encoded inside URLs and form bodies', () => {
    const { log, sink, config } = setup();
    const url = new URL('https://secure.maasplassen.com/api/v2/fleet');
    url.searchParams.set('apikey', MAAS_APIKEY);
    url.searchParams.set('hmac', MAAS_SECRET);
    const form = new URLSearchParams({ grant_type: 'password', client_secret: AMBITA_SECRET, password: 'ambita-user-pw' }).toString();
    log.info({ url: url.toString() }, 'GET');
    log.info({ body: form }, 'POST token');
    log.info(`GET https://x.example/cb?s=${encodeURIComponent(AMBITA_SECRET)}&k=${encodeURIComponent(MAAS_SECRET)}`);
    log.error({ err: new Error(`cannot connect to ${config.database.url}`) }, 'database');
    expect(sink.lines.length).toBe(4);
    expectNoSecret(sink.text);
  });

  it('redacts secrets in nested objects, arrays and child logger bindings', () => {
    const { log, sink } = setup();
    const child = log.child({ pipeline: 'p', session: { auth: { bearer: AMBITA_SECRET } } });
    child.info({ request: { options: { headers: { 'x-key': MAAS_APIKEY }, list: [{ deep: { deeper: MAAS_SECRET } }] } } }, 'nested');
    child.child({ itemKey: 'k' }).info({ password: 'not-configured-but-a-password', config: { secret: 'another' } }, 'by key');
    expectNoSecret(sink.text);
    expect(sink.text).not.toContain('not-configured-but-a-password'); // key-based redaction as well
    const records = sink.records;
    expect(records[0]).toMatchObject({ pipeline: 'p', msg: 'nested' });
    expect(records[1]).toMatchObject({ itemKey: 'k', msg: 'by key' });
  });
});
