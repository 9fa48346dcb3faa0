import { describe, expect, it } from 'vitest';
import { isSecretKey, maskSecrets, redactForDisplay, redactSecrets } from '../../src/config/secrets.js';
import { createAppLogger } from '../../src/core/app.js';
import { RetryableError } from '../../src/core/errors.js';
import { createLogger } from '../../src/core/logger.js';
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

// Runtime tokens: handed out by an upstream during a run, so no config lists them. Only key redaction can
// catch them, and it must at any depth (pino's own `*.token` paths reach one level).
const OAUTH_ACCESS_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.oauth-access-token-runtime';
const GRPC_SESSION_TOKEN = 'plano-session-7f3c2a9e-runtime';

describe('key redaction at any depth (runtime tokens the config does not know)', () => {
  it('an OAuth access token and a gRPC session token nested three levels deep are redacted', () => {
    const sink = new LogSink();
    const log = createLogger({ level: 'info', destination: sink }); // no configured secrets: keys alone
    log.info({ upstream: { ambita: { oauth: { access_token: OAUTH_ACCESS_TOKEN, token_type: 'Bearer', expires_in: 3600 } } } }, 'token');
    log.info({ grpc: { call: { metadata: { token: GRPC_SESSION_TOKEN } } }, calls: [{ a: { b: { sessionToken: GRPC_SESSION_TOKEN } } }] }, 'session');
    log.child({ session: { auth: { grant: { refresh_token: OAUTH_ACCESS_TOKEN } } } }).info('child binding');
    const err = Object.assign(new Error('call failed'), { request: { headers: { meta: { authorization: `Bearer ${OAUTH_ACCESS_TOKEN}` } } } });
    log.error({ err }, 'error properties');
    expect(sink.lines).toHaveLength(4);
    expect(sink.text).not.toContain(OAUTH_ACCESS_TOKEN);
    expect(sink.text).not.toContain(GRPC_SESSION_TOKEN);
    const [first, second, third, fourth] = sink.records as Record<string, any>[];
    expect(first!.upstream.ambita.oauth).toEqual({ access_token: '[redacted]', token_type: 'Bearer', expires_in: 3600 });
    expect(second!.grpc.call.metadata.token).toBe('[redacted]');
    expect(second!.calls[0].a.b.sessionToken).toBe('[redacted]');
    expect(third!.session.auth.grant.refresh_token).toBe('[redacted]');
    expect(fourth!.err.request.headers.meta.authorization).toBe('[redacted]');
    expect(fourth!.err.message).toBe('call failed');
  });

  it('the logged object is not changed, and a clean object is not copied', () => {
    const nested = { a: { b: { token: GRPC_SESSION_TOKEN } } };
    const clean = { a: { b: { c: 'plain' } }, list: [1, 2] };
    expect(redactSecrets(nested)).toEqual({ a: { b: { token: '[redacted]' } } });
    expect(nested.a.b.token).toBe(GRPC_SESSION_TOKEN);
    expect(redactSecrets(clean)).toBe(clean);
    const cyclic: Record<string, unknown> = { token: GRPC_SESSION_TOKEN };
    cyclic.self = cyclic;
    expect((redactSecrets(cyclic) as Record<string, unknown>).token).toBe('[redacted]');
  });

  it('config masking, log redaction and status output use the one definition of a secret key', () => {
    // Secret and non-secret key names; every consumer must agree with isSecretKey on each of them.
    const keys = ['secret', 'client_secret', 'password', 'token', 'access_token', 'refresh_token', 'webhook_token', 'sessionToken', 'apikey', 'api_key', 'access_key', 'hmac', 'authorization', 'Authorization', 'cookie',
      'token_url', 'username', 'client_id', 'base_url', 'tokens_issued', 'key', 'secret_count_label_x'];
    const expected = Object.fromEntries(keys.map((k) => [k, isSecretKey(k)]));
    // The list above covers both sides, so this test can fail either way.
    expect(Object.values(expected).filter(Boolean).length).toBe(15);
    const value = 'value-1234';
    const deep = (k: string) => ({ one: { two: { three: { [k]: value } } } });
    const sink = new LogSink();
    const log = createLogger({ level: 'info', destination: sink });
    for (const k of keys) log.info(deep(k), k);
    const logged = Object.fromEntries(sink.records.map((r: Record<string, any>) => [r.msg, r.one.two.three[r.msg] !== value]));
    const masked = Object.fromEntries(keys.map((k) => [k, (maskSecrets(deep(k)) as Record<string, any>).one.two.three[k] !== value]));
    const shown = Object.fromEntries(keys.map((k) => [k, (redactForDisplay(deep(k), (t) => t) as Record<string, any>).one.two.three[k] !== value]));
    expect(logged).toEqual(expected);
    expect(masked).toEqual(expected);
    expect(shown).toEqual(expected);
  });
});
