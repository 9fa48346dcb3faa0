import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMaasplassenSandbox, type MaasplassenSandbox } from '../../sandbox/maasplassen/server.js';
import { FIXED_NOW, OTHER, VAN_NUT, post, push, sign } from './maasplassen-sandbox.helpers.js';

const day = (boat: string | number, date: string, cents: number | null, extra: Record<string, unknown> = {}) => ({
  boat,
  date,
  prizes: cents === null ? null : [{ desc: 'Hele dag', desc_de: 'Ganzer Tag', cents, ...extra }],
});

describe('POST /company/{id}/availability/update', () => {
  let sb: MaasplassenSandbox;
  beforeAll(async () => {
    sb = await startMaasplassenSandbox({ now: () => FIXED_NOW });
  });
  afterAll(() => sb.close());
  beforeEach(() => sb.reset());

  it('stores every object and answers with the documented envelope', async () => {
    const availability = [day('91', '2024-06-02', 9500), day(92, '2024-06-02', null), { boat: '98', date: '2024-06-03', prizes: [] }];
    const res = await push(sb, availability);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      meta: { message: 'Availability is updated.', original_payload: { company: 1, availability }, status: 200, owner: 'vannut.koppel' },
      data: null,
    });
    expect(sb.availability(1, '91', '2024-06-02')).toEqual([{ desc: 'Hele dag', desc_de: 'Ganzer Tag', cents: 9500 }]);
    expect(sb.availability(1, '92', '2024-06-02')).toBeNull();
    expect(sb.availability(1, '98', '2024-06-03')).toEqual([]);
    expect(sb.availability(1, '91', '2024-06-03')).toBeUndefined();
    expect(sb.availabilityCount(1)).toBe(3);
    expect(sb.availabilityCount(2)).toBe(0);
    expect(sb.requests.at(-1)).toMatchObject({ method: 'POST', path: '/api/v2/company/1/availability/update', status: 200, objects: 3 });
  });

  it('matches boats by the company\'s own ext_id, as strings, and only within that company', async () => {
    expect((await push(sb, [day(91, '2024-06-02', 1)])).status).toBe(200);
    expect(sb.availability(1, '91', '2024-06-02')?.[0]?.cents).toBe(1);
    // "6" is Van Nut's bootid (our id) of "91", not an ext_id: refused.
    expect((await push(sb, [day('6', '2024-06-02', 1)])).status).toBe(422);
    // "MP-2" belongs to company 2 only.
    expect((await push(sb, [day('MP-2', '2024-06-02', 1)])).status).toBe(422);
    const other = await push(sb, [day('MP-2', '2024-06-02', 7)], { companyId: 2, apikey: OTHER.apikey, secret: OTHER.secret });
    expect(other.status).toBe(200);
    expect(sb.availability(2, 'MP-2', '2024-06-02')?.[0]?.cents).toBe(7);
    expect(sb.availability(1, '91', '2024-06-02')?.[0]?.cents).toBe(1);
  });

  it('rolls the whole request back when one object is bad, and names only the first error', async () => {
    await push(sb, [day('91', '2024-06-01', 100)]);
    const availability = [
      ...Array.from({ length: 50 }, (_, i) => day('93', `2024-07-${String((i % 28) + 1).padStart(2, '0')}`, 1000 + i)),
      day('91', '2024-06-01', 999), // would overwrite the stored value
      day('94', '2024-02-30', 1), // first error: index 51
      day('nope', '2024-06-05', 1), // second error, must not be reported
    ];
    const res = await push(sb, availability);
    expect(res.status).toBe(422);
    expect(res.body.error.type).toBe('VanNut\\Exceptions\\AvailabilityUpdateException');
    expect(res.body.error.code).toBe(422);
    expect(res.body.error.message).toContain('availability[51]');
    expect(res.body.error.message).toContain('"94"');
    expect(res.body.error.message).toContain('2024-02-30');
    expect(res.body.error.message).not.toContain('nope');
    expect(Object.keys(res.body.error)).toEqual(['type', 'message', 'code']);
    // Nothing from the rejected request was stored; the earlier value survived.
    expect(sb.availabilityCount()).toBe(1);
    expect(sb.availability(1, '91', '2024-06-01')?.[0]?.cents).toBe(100);
    expect(sb.requests.at(-1)).toMatchObject({ status: 422, objects: 53 });
  });

  it('keeps the last object for a boat-date given twice in one request', async () => {
    const res = await push(sb, [day('91', '2024-06-02', 1), day('92', '2024-06-02', 2), day(91, '2024-06-02', 3), day('91', '2024-06-02', null)]);
    expect(res.status).toBe(200);
    expect(sb.availability(1, '91', '2024-06-02')).toBeNull();
    expect(sb.availabilityCount()).toBe(2);
    await push(sb, [day('91', '2024-06-02', null), day('91', '2024-06-02', 4)]);
    expect(sb.availability(1, '91', '2024-06-02')?.[0]?.cents).toBe(4);
  });

  it.each([
    ['unknown boat', day('12345', '2024-06-02', 1), 'boat not found'],
    ['boat missing', { date: '2024-06-02', prizes: null }, 'boat must be'],
    ['impossible date', day('91', '2023-02-29', 1), 'date must be'],
    ['date without padding', day('91', '2024-6-2', 1), 'date must be'],
    ['date with time', day('91', '2024-06-02T00:00:00', 1), 'date must be'],
    ['prizes missing', { boat: '91', date: '2024-06-02' }, 'prizes must be'],
    ['prizes an object', { boat: '91', date: '2024-06-02', prizes: { desc: 'x', cents: 1 } }, 'prizes must be'],
    ['negative cents', day('91', '2024-06-02', -1), 'cents must be'],
    ['fractional cents', day('91', '2024-06-02', 10.5), 'cents must be'],
    ['cents as string', { boat: '91', date: '2024-06-02', prizes: [{ desc: 'x', cents: '100' }] }, 'cents must be'],
    ['empty desc', { boat: '91', date: '2024-06-02', prizes: [{ desc: ' ', cents: 1 }] }, 'desc must be'],
    ['desc_de a number', day('91', '2024-06-02', 1, { desc_de: 5 }), 'desc_de must be'],
    ['object not an object', 'hello', 'expected an object'],
  ])('refuses %s with 422 and stores nothing', async (_name, bad, reason) => {
    const res = await push(sb, [day('91', '2024-06-03', 1), bad]);
    expect(res.status).toBe(422);
    expect(res.body.error.message).toContain('availability[1]');
    expect(res.body.error.message).toContain(reason);
    expect(sb.availabilityCount()).toBe(0);
  });

  it('accepts a null desc_de and cents 0, and keeps the Dutch text when there is no German', async () => {
    const res = await push(sb, [{ boat: '97', date: '2024-06-02', prizes: [{ desc: 'Gratis', desc_de: null, cents: 0 }] }]);
    expect(res.status).toBe(200);
    expect(sb.availability(1, '97', '2024-06-02')).toEqual([{ desc: 'Gratis', cents: 0 }]);
  });

  it('checks the payload as a whole: company, availability array, JSON, presence', async () => {
    const wrongCompany = await push(sb, [day('91', '2024-06-02', 1)], { payloadCompany: 2 });
    expect(wrongCompany.status).toBe(422);
    expect(wrongCompany.body.error.message).toContain('does not match company 1');
    expect((await push(sb, [day('91', '2024-06-02', 1)], { payloadCompany: '1' })).status).toBe(200);
    sb.reset();

    const noArray = await post(sb, '/company/1/availability/update', { payload: JSON.stringify({ company: 1, availability: {} }) });
    expect(noArray.status).toBe(422);
    const notJson = await post(sb, '/company/1/availability/update', { payload: '{"company":1,' });
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.type).toBe('VanNut\\Exceptions\\InvalidPayloadException');
    // Without payload the path is what is signed; the request is then refused for lacking one.
    const noPayload = await post(sb, '/company/1/availability/update');
    expect(noPayload.status).toBe(400);
    expect(noPayload.body.error.message).toContain('No payload');
    expect(sb.availabilityCount()).toBe(0);
  });

  it('verifies the payload signature over the decoded form value, characters that need encoding included', async () => {
    const res = await push(sb, [{ boat: '91', date: '2024-06-02', prizes: [{ desc: 'Dag & nacht + 50% €', desc_de: 'Tag/Nacht ümlaut', cents: 1 }] }]);
    expect(res.status).toBe(200);
    expect(sb.availability(1, '91', '2024-06-02')?.[0]?.desc).toBe('Dag & nacht + 50% €');
    // The signature covers the exact string: the same JSON re-serialised with a space is another string.
    const payload = JSON.stringify({ company: 1, availability: [day('91', '2024-06-04', 1)] });
    const tampered = await post(sb, '/company/1/availability/update', {
      payload: payload.replace('"company":1', '"company": 1'),
      hmac: sign(VAN_NUT.secret, payload),
    });
    expect(tampered.status).toBe(401);
    expect(sb.availability(1, '91', '2024-06-04')).toBeUndefined();
    expect((await post(sb, '/company/1/availability/update', { payload, hmac: sign(VAN_NUT.secret, payload) })).status).toBe(200);
  });

  it('shows pushed availability as the boat\'s beschikbaarheid in /fleet', async () => {
    await push(sb, [day('91', '2024-06-02', 4242), day('92', '2024-06-02', null)]);
    const res = await fetch(`${sb.url}/fleet/2024-06-02/de?apikey=${OTHER.apikey}&filter=zeilboot`);
    const body = (await res.json()) as { data: { boten: { ext_id: string; bootid: string; beschikbaarheid: unknown }[] } };
    const byExt = Object.fromEntries(body.data.boten.filter((b) => b.bootid === '6' || b.bootid === '8').map((b) => [b.ext_id, b.beschikbaarheid]));
    expect(byExt).toEqual({ '91': [{ desc: 'Ganzer Tag', cents: 4242 }], '92': null });
  });
});
