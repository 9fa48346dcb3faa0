import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hmacMatches, normaliseKey, signString } from '../../sandbox/maasplassen/auth.js';
import { startMaasplassenSandbox, type MaasplassenSandbox } from '../../sandbox/maasplassen/server.js';
import { DISABLED, FIXED_NOW, OTHER, VAN_NUT, VVV, get, post, push, sign } from './maasplassen-sandbox.helpers.js';

// The vendor document's test vectors (secret = company 1's secret in the demo data).
const SECRET = 'sk.9isI6XLkRutLtjwRHZUc4I7Nw3tdf6r6R5KZ3ChZDxb6yU65Q6fGr';
const PAYLOAD = "{'some':'json data','which':'needs to be processed'}";
const PAYLOAD_HMAC = '6dd69b92d7e7927680a459740efc9167feddde57d310afb2e2ed3191b9bfb1d4';
const PATH_HMAC = '18501fba8c6072b1de07602eddf4ce7f9a553f8de8c2317d1a23908779850346';

describe('sandbox HMAC verification', () => {
  it('reproduces the vendor test vectors, slash included', () => {
    expect(VAN_NUT.secret).toBe(SECRET);
    expect(signString(SECRET, PAYLOAD)).toBe(PAYLOAD_HMAC);
    expect(signString(SECRET, '/api/v2/endpoint/')).toBe(PATH_HMAC);
    expect(signString(SECRET, '/api/v2/endpoint').startsWith('1f540cec')).toBe(true);
    expect(hmacMatches(SECRET, '/api/v2/endpoint/', PATH_HMAC)).toBe(true);
    expect(hmacMatches(SECRET, '/api/v2/endpoint', PATH_HMAC)).toBe(false);
    expect(hmacMatches(SECRET, PAYLOAD, PAYLOAD_HMAC.toUpperCase())).toBe(false);
    expect(hmacMatches(SECRET, PAYLOAD, PAYLOAD_HMAC.slice(0, 63))).toBe(false);
  });

  it('normalises keys by dropping dashes and whitespace only', () => {
    expect(normaliseKey('pub.bb19 faa3-81bc\t4bbe')).toBe('pub.bb19faa381bc4bbe');
  });
});

describe('sandbox authentication over the wire', () => {
  let sb: MaasplassenSandbox;
  beforeAll(async () => {
    sb = await startMaasplassenSandbox({ now: () => FIXED_NOW });
  });
  afterAll(() => sb.close());
  beforeEach(() => sb.reset());

  it('accepts the document payload vector (then refuses the non-JSON payload itself, not the signature)', async () => {
    const ok = await post(sb, '/company/1/availability/update', { payload: PAYLOAD, hmac: PAYLOAD_HMAC });
    expect(ok.status).toBe(400);
    expect(ok.body.error.type).toBe('VanNut\\Exceptions\\InvalidPayloadException');
    const bad = await post(sb, '/company/1/availability/update', { payload: PAYLOAD, hmac: PAYLOAD_HMAC.replace(/^6/, '7') });
    expect(bad.status).toBe(401);
    expect(bad.body).toEqual({ error: { type: 'VanNut\\Exceptions\\HmacInvalidException', message: 'The HMAC signature is invalid! ', code: 401 } });
  });

  it('verifies a path signature over the path with one trailing slash, however it was sent (the vendor example)', async () => {
    expect((await post(sb, '/company/1/fleet/')).status).toBe(200);
    // Sent without the slash, signed with it: the vendor document's own example.
    expect((await post(sb, '/company/1/fleet', { signPath: '/api/v2/company/1/fleet/' })).status).toBe(200);
    const without = await post(sb, '/company/1/fleet/', { signPath: '/api/v2/company/1/fleet' });
    expect(without.status).toBe(401);
    expect(without.body.error.type).toBe('VanNut\\Exceptions\\HmacInvalidException');
    // The query string is never part of the signed path.
    expect((await post(sb, '/company/1/fleet/', { signPath: '/api/v2/company/1/fleet/?apikey=x' })).status).toBe(401);
  });

  it('can verify the path without the slash, or exactly as received (the servers koppel must also work with)', async () => {
    const withSlash = '/api/v2/company/1/fleet/';
    const bare = '/api/v2/company/1/fleet';
    const cases = [
      { signedPath: 'without_slash', accepted: [['/company/1/fleet', bare], ['/company/1/fleet/', bare]], refused: [['/company/1/fleet/', withSlash], ['/company/1/fleet', withSlash]] },
      { signedPath: 'as_received', accepted: [['/company/1/fleet', bare], ['/company/1/fleet/', withSlash]], refused: [['/company/1/fleet', withSlash], ['/company/1/fleet/', bare]] },
    ] as const;
    for (const c of cases) {
      const other = await startMaasplassenSandbox({ now: () => FIXED_NOW, signedPath: c.signedPath });
      try {
        for (const [sent, signed] of c.accepted) expect((await post(other, sent, { signPath: signed })).status, `${c.signedPath} ${sent} ${signed}`).toBe(200);
        for (const [sent, signed] of c.refused) expect((await post(other, sent, { signPath: signed })).status, `${c.signedPath} ${sent} ${signed}`).toBe(401);
      } finally {
        await other.close();
      }
    }
  });

  it('answers a missing hmac with 401 and signs with the whole secret, sk. included', async () => {
    const none = await post(sb, '/jetty', { hmac: null });
    expect(none.status).toBe(401);
    expect(none.body.error.type).toBe('VanNut\\Exceptions\\HmacMissingException');
    const withoutPrefix = await post(sb, '/jetty', { secret: SECRET.slice(3) });
    expect(withoutPrefix.status).toBe(401);
    expect((await post(sb, '/jetty')).status).toBe(200);
  });

  it('ignores dashes and spaces in the key, whether sent as +, %20 or not at all', async () => {
    const bare = VAN_NUT.apikey.replace(/-/g, '');
    const spaced = VAN_NUT.apikey.replace(/-/g, ' ');
    for (const key of [VAN_NUT.apikey, bare, spaced.replace(/ /g, '+'), spaced.replace(/ /g, '%20')]) {
      const res = await get(sb, '/rentals', '', key);
      expect(res.status, key).toBe(200);
      expect(res.body.meta.owner).toBe('vannut.koppel');
    }
  });

  it('refuses a missing or unknown key with 401 in the error envelope', async () => {
    for (const key of [null, '', 'pub.00000000-0000-0000-0000-000000000000']) {
      const res = await get(sb, '/rentals', '', key);
      expect(res.status).toBe(401);
      expect(res.body.error.type).toBe('VanNut\\Exceptions\\ApiKeyNotFoundException');
      expect(res.body.error.code).toBe(401);
      expect(Object.keys(res.body)).toEqual(['error']);
    }
  });

  it('answers a disabled key with the document\'s 503 envelope, also when disabled at run time', async () => {
    const expected = { error: { type: 'VanNut\\Exceptions\\ApiKeyDisabledException', message: 'This API-key is disabled! ', code: 503 } };
    const demo = await get(sb, '/rentals', '', DISABLED.apikey);
    expect(demo.status).toBe(503);
    expect(demo.body).toEqual(expected);

    sb.disableKey(OTHER.apikey.replace(/-/g, ''));
    const res = await push(sb, [], { companyId: 2, apikey: OTHER.apikey, secret: OTHER.secret });
    expect(res.status).toBe(503);
    expect(res.body).toEqual(expected);
    sb.enableKey(OTHER.apikey);
    expect((await push(sb, [], { companyId: 2, apikey: OTHER.apikey, secret: OTHER.secret })).status).toBe(200);
  });

  it('refuses another company\'s data with 403, even when correctly signed', async () => {
    const update = await push(sb, [{ boat: '91', date: '2024-06-02', prizes: null }], { companyId: 2 });
    expect(update.status).toBe(403);
    expect(update.body.error).toMatchObject({ type: 'VanNut\\Exceptions\\CompanyAccessDeniedException', code: 403 });
    for (const path of ['/company/2/fleet/', '/company/2/stats', '/company/2/boat/21']) {
      expect((await post(sb, path)).status, path).toBe(403);
    }
    expect(sb.availabilityCount()).toBe(0);
  });

  it('lets a superkey act for any company, signed with its own secret', async () => {
    const as = { apikey: VVV.apikey, secret: VVV.secret };
    const fleet = await post(sb, '/company/2/fleet/', as);
    expect(fleet.status).toBe(200);
    expect(fleet.body.meta.owner).toBe('vvv.Portaal');
    const update = await push(sb, [{ boat: '91', date: '2024-06-02', prizes: null }], { companyId: 2, ...as });
    expect(update.status).toBe(200);
    expect(sb.availability(2, '91', '2024-06-02')).toBeNull();
    expect(sb.availability(1, '91', '2024-06-02')).toBeUndefined();
    // Signed with another company's secret: refused.
    expect((await post(sb, '/company/2/fleet/', { apikey: VVV.apikey, secret: VAN_NUT.secret })).status).toBe(401);
    expect((await post(sb, '/company/99/fleet/', as)).status).toBe(404);
  });

  it('signs only form bodies: a JSON body carries no hmac', async () => {
    const res = await fetch(`${sb.url}/jetty?apikey=${VAN_NUT.apikey}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hmac: sign(SECRET, '/api/v2/jetty') }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('VanNut\\Exceptions\\HmacMissingException');
  });
});
