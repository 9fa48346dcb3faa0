import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMaasplassenSandbox, type MaasplassenSandbox } from '../../sandbox/maasplassen/server.js';
import { FIXED_NOW, OTHER, VAN_NUT, get, post, push } from './maasplassen-sandbox.helpers.js';

describe('Maasplassen sandbox read endpoints', () => {
  let sb: MaasplassenSandbox;
  beforeAll(async () => {
    sb = await startMaasplassenSandbox({ now: () => FIXED_NOW });
  });
  afterAll(() => sb.close());
  beforeEach(() => sb.reset());

  describe('GET /fleet/{date?}/{lang?}', () => {
    it('lists every visible boat for today (Amsterdam) in Dutch, numbers as strings', async () => {
      const res = await get(sb, '/fleet/');
      expect(res.status).toBe(200);
      expect(res.body.meta).toMatchObject({ status: 200, results: 12, owner: 'vannut.koppel', filter: { date: '2024-06-01', lang: 'nl' } });
      const boten = res.body.data.boten as Record<string, unknown>[];
      expect(boten).toHaveLength(12);
      expect(boten.map((b) => b.bootid)).not.toContain('15'); // the hidden Waterfiets
      const valk = boten.find((b) => b.bootid === '6');
      expect(valk).toMatchObject({
        bootnaam: 'Valk met motor', type: 'zeilboot', max_personen: '5', ext_id: '91', bootid: '6', aandrijving: 'windbb',
        bedrijf: { naam: 'Van Nut', id: '1', url: 'http://vannut.nl', email: 'wijzijn@vannut.nl', review_cijfer: '4.67' },
        beschikbaarheid: [{ desc: 'Hele dag ', cents: 9500 }, { desc: 'Halve dag', cents: 5700 }],
        cta: { type: 'direct' },
      });
      expect(valk?.afbeelding).toEqual([`${new URL(sb.url).origin}/assets/boten/6/valk.jpg`, `${new URL(sb.url).origin}/assets/boten/6/valk-kuip.jpg`]);
      expect(boten.find((b) => b.bootid === '22')).toMatchObject({ cta: { type: 'email' }, bedrijf: { id: '2' } });
      expect((await get(sb, '/fleet')).body.meta.results).toBe(12);
    });

    it('localises prizes: desc_de for de when present, nl otherwise and for unknown languages', async () => {
      await push(sb, [{ boat: '91', date: '2024-06-03', prizes: [{ desc: 'Ochtend', desc_de: 'Morgen', cents: 10 }, { desc: 'Middag', cents: 20 }] }]);
      const de = await get(sb, '/fleet/2024-06-03/de', 'filter=zeilboot');
      expect(de.body.meta.filter).toEqual({ date: '2024-06-03', lang: 'de', type: ['zeilboot'] });
      expect(de.body.data.boten.find((b: { ext_id: string }) => b.ext_id === '91').beschikbaarheid).toEqual([
        { desc: 'Morgen', cents: 10 },
        { desc: 'Middag', cents: 20 },
      ]);
      const fr = await get(sb, '/fleet/2024-06-03/fr/', 'filter=zeilboot');
      expect(fr.body.meta.filter.lang).toBe('nl');
      expect(fr.body.data.boten.find((b: { ext_id: string }) => b.ext_id === '91').beschikbaarheid[0]).toEqual({ desc: 'Ochtend', cents: 10 });
    });

    it('filters by a comma list of the six types and refuses anything else', async () => {
      const res = await get(sb, '/fleet/2024-06-03', 'filter=sloep,kajuitboot');
      const types = new Set((res.body.data.boten as { type: string }[]).map((b) => b.type));
      expect([...types].sort()).toEqual(['kajuitboot', 'sloep']);
      expect(res.body.meta.results).toBe(6);
      expect((await get(sb, '/fleet', 'filter=overige')).body.data.boten.map((b: { bootnaam: string }) => b.bootnaam)).toEqual(['SUP-board']);
      const bad = await get(sb, '/fleet', 'filter=zeilboot,speedboot');
      expect(bad.status).toBe(400);
      expect(bad.body.error).toMatchObject({ type: 'VanNut\\Exceptions\\InvalidArgumentException', code: 400 });
      expect(bad.body.error.message).toContain('speedboot');
    });

    it('refuses a date that is not yyyy-mm-dd', async () => {
      for (const d of ['2024-02-30', '01-06-2024', 'morgen']) expect((await get(sb, `/fleet/${d}`)).status, d).toBe(400);
    });

    it('shows a blocked day as null and offers alternative days that are bookable', async () => {
      await push(sb, [
        { boat: '97', date: '2024-06-02', prizes: null },
        { boat: '97', date: '2024-06-03', prizes: [] },
        { boat: '97', date: '2024-06-05', prizes: null },
      ]);
      const res = await get(sb, '/fleet/2024-06-02', 'filter=overige');
      expect(res.body.data.boten[0].beschikbaarheid).toBeNull();
      expect(res.body.meta.alternatives).toEqual(['2024-06-04', '2024-06-06', '2024-06-07']);
    });

    it('links the call to action through the service, which counts the click for the stats', async () => {
      const fleet = await get(sb, '/fleet/2024-06-02', 'filter=sloep');
      const action = fleet.body.data.boten.find((b: { bootid: string }) => b.bootid === '7').cta.action as string;
      expect(action.startsWith(new URL(sb.url).origin)).toBe(true);
      const click = await fetch(action, { redirect: 'manual' });
      expect(click.status).toBe(302);
      expect(click.headers.get('location')).toBe('http://vannut.nl');
      await get(sb, '/fleet', '', OTHER.apikey);
      const stats = await post(sb, '/company/1/stats/');
      expect(stats.status).toBe(200);
      expect(stats.body.data).toMatchObject({ views: { 'vannut.koppel': '1', 'demaasplas.koppel': '1' }, clicks: { 'vannut.koppel': '1' }, ctr: '50.00' });
      expect(JSON.parse(stats.body.data.graph)).toEqual({ '2024-06-01': { views: 2, clicks: 1 } });
      expect((await post(sb, '/company/1/stats/day')).body.data.ctr).toBe('50.00');
      expect((await post(sb, '/company/1/stats/fortnight')).status).toBe(400);
    });
  });

  it('GET /fleet/{boatid}/images lists a boat\'s pictures by our id', async () => {
    const res = await get(sb, '/fleet/7/images');
    expect(res.body).toEqual({
      meta: { status: 200, results: 1, owner: 'vannut.koppel' },
      data: [{ url: `${new URL(sb.url).origin}/assets/boten/7/antaris.jpg`, title: 'This is a title', bestandsnaam: 'antaris.jpg' }],
    });
    expect((await fetch(res.body.data[0].url)).headers.get('content-type')).toBe('image/png');
    expect((await get(sb, '/fleet/10/images/')).body.data).toEqual([]);
    expect((await get(sb, '/fleet/999/images')).status).toBe(404);
  });

  it('GET /rentals lists the visible companies', async () => {
    const res = await get(sb, '/rentals');
    expect(res.body.data).toEqual([{ id: 1, naam: 'Van Nut' }, { id: 2, naam: 'Jachtverhuur De Maasplas' }]);
    expect(res.body.meta.results).toBe(2);
  });

  it('GET /company/{id}/reviews: stats as strings, newest first, limit defaults to 10', async () => {
    const res = await get(sb, '/company/1/reviews');
    expect(res.body.data.stats).toEqual({ aantal: '3', min: '4', gem: '4.7', max: '5' });
    expect(res.body.data.reviews).toHaveLength(3);
    expect(res.body.data.reviews[2]).toMatchObject({
      created_at: '2015-05-19 12:17:13', cijfer: '5.0', opmerking: 'Top bedrijf, denken met je mee. ', naam: 'Pipo', mgt_response: null, human: 'dinsdag 19 mei 2015',
    });
    expect(res.body.data.info).toMatchObject({ id: '1', naam: 'Van Nut', aantal_boten: '9' });
    const one = await get(sb, '/company/1/reviews/', 'limit=1');
    expect(one.body.data.reviews.map((r: { naam: string }) => r.naam)).toEqual(['Klukkluk']);
    expect((await get(sb, '/company/1/reviews', 'limit=veel')).status).toBe(400);
    expect((await get(sb, '/company/77/reviews')).status).toBe(404);
  });

  it('POST /company/{id}/fleet/ lists all boats, hidden ones too, with numbers as strings', async () => {
    const res = await post(sb, '/company/1/fleet/');
    expect(res.body.meta).toEqual({ status: 200, results: 10, owner: 'vannut.koppel' });
    expect(res.body.data[0]).toEqual({ id: '6', ext_id: '91', naam: 'Valk met motor', type: 'zeilboot', zichtbaar: '1', updated_at: '2015-03-30 12:29:44' });
    expect(res.body.data.find((b: { ext_id: string }) => b.ext_id === '100')).toMatchObject({ id: '15', zichtbaar: '0' });
  });

  it('POST /company/{id}/boat/{id} shows one boat of that company by our id', async () => {
    const res = await post(sb, '/company/1/boat/7');
    expect(res.body.data).toEqual({
      updated_at: '2015-03-30 12:29:44', id: '7', ext_id: '98', ext_referentie: 'antaris-520', naam: 'Antaris 520', type: 'sloep', zichtbaar: '1',
      beschrijving: expect.any(String), lengte: '5.20', max_personen: '4', aandrijving: 'binnenboord',
      standaardPrijs: [{ desc: 'Hele dag varen', cents: 15000 }],
    });
    expect((await post(sb, '/company/1/boat/21')).status).toBe(404); // company 2's boat
  });

  it('GET /jetty and signed POST /jetty show occupation and reservations', async () => {
    const pub = await get(sb, '/jetty');
    expect(pub.body.data['4']).toEqual({ id: '4', naam: 'Roerkade', lat: '51.19479615', lon: '5.98381519', lengte: '30', bezet: 'Welkom aan boord van de Cascade!' });
    expect(pub.body.data['5'].bezet).toBeNull();
    const priv = await post(sb, '/jetty/');
    expect(priv.body.data['4'].huidig).toMatchObject({ bedrijf: 'Rederij Cascade', van: '2024-06-01 11:00:00', tot: '2024-06-01 14:00:00' });
    expect(priv.body.data['5']).toMatchObject({ huidig: null, volgend: { schip: 'Maasster' } });
    expect(priv.body.data['6']).toEqual({ id: '6', naam: 'Haven Wessem', huidig: null, volgend: null });
  });

  it('answers unknown endpoints 404 and wrong methods 405, in the error envelope', async () => {
    const missing = await get(sb, '/boats');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe(404);
    expect((await get(sb, '/company/1/fleet')).status).toBe(405);
    expect((await post(sb, '/fleet')).status).toBe(405);
    expect((await fetch(`${new URL(sb.url).origin}/api/v3/fleet`)).status).toBe(404);
  });

  it('records requests and takes boats added at run time', async () => {
    sb.addBoat(1, { bootid: 500, ext_id: 'X-1', naam: 'Nieuwe sloep', type: 'sloep', zichtbaar: true });
    expect(() => sb.addBoat(1, { bootid: 501, ext_id: 'X-1', naam: 'Dubbel', type: 'sloep', zichtbaar: true })).toThrow(/ext_id/);
    expect((await push(sb, [{ boat: 'X-1', date: '2024-06-02', prizes: null }])).status).toBe(200);
    expect((await post(sb, '/company/1/fleet')).body.meta.results).toBe(11);
    await get(sb, '/rentals', 'x=1');
    expect(sb.requests.map((r) => [r.method, r.path, r.status])).toEqual([
      ['POST', '/api/v2/company/1/availability/update', 200],
      ['POST', '/api/v2/company/1/fleet', 200],
      ['GET', '/api/v2/rentals', 200],
    ]);
    expect(sb.requests[2]?.query).toEqual({ apikey: VAN_NUT.apikey, x: '1' });
    sb.reset();
    expect(sb.requests).toHaveLength(0);
    expect(sb.availabilityCount()).toBe(0);
  });
});
