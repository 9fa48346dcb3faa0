import { describe, expect, it } from 'vitest';
import { CLEAR_LEAD, chooseLocation, parseAddress } from '../../src/pipelines/planviewer-mirror/mapping.js';
import type { Location } from '../../src/upstreams/planviewer/api.js';

const address = (number: string, letter: string | null, score: number): Location => ({
  score,
  uuid: `uuid-${number}${letter ?? ''}`,
  title: `Castellastraat ${number}${letter?.toUpperCase() ?? ''}, 6512EX Nijmegen`,
  properties: { type: 'adres', postcode: '6512EX', huisnummer: number, huisletter: letter, huisnummertoevoeging: null },
});
const q = { address: parseAddress('Castellastraat 2, 6512EX Nijmegen')! };

// planviewer-notes.md: wait when the best score is not clearly ahead, OR the fields do not match exactly.
describe('chooseLocation: either condition is enough to wait', () => {
  it('a shared top score waits, although "2" matches its fields exactly; both are listed', () => {
    const choice = chooseLocation([address('2', null, 8.7), address('2', 'a', 8.7)], q);
    expect(choice).toMatchObject({ ok: false, wait: true, reason: expect.stringMatching(/"Castellastraat 2, 6512EX Nijmegen" scores no better than "Castellastraat 2A/) });
    expect(!choice.ok && choice.candidates.map((c) => c.uuid)).toEqual(['uuid-2', 'uuid-2a']);
  });

  it('the tie waits whichever of the two the search puts first', () => {
    const choice = chooseLocation([address('2', 'a', 8.7), address('2', null, 8.7)], q);
    expect(choice).toMatchObject({ ok: false, wait: true });
    expect(!choice.ok && choice.candidates.map((c) => c.uuid)).toEqual(['uuid-2', 'uuid-2a']);
  });

  it('a lead within the margin is no lead: waits at just under CLEAR_LEAD, orders just above it', () => {
    const runnerUp = 10;
    expect(chooseLocation([address('2', null, runnerUp * CLEAR_LEAD - 0.001), address('2', 'a', runnerUp)], q)).toMatchObject({ ok: false, wait: true });
    expect(chooseLocation([address('2', null, runnerUp * CLEAR_LEAD), address('2', 'a', runnerUp)], q)).toMatchObject({ ok: false, wait: true });
    expect(chooseLocation([address('2', null, runnerUp * CLEAR_LEAD + 0.001), address('2', 'a', runnerUp)], q)).toMatchObject({ ok: true, location: { uuid: 'uuid-2' } });
  });

  it('a single exact match with no rival orders; an exact match behind another result waits', () => {
    expect(chooseLocation([address('2', null, 8.7)], q)).toMatchObject({ ok: true, location: { uuid: 'uuid-2' } });
    expect(chooseLocation([address('2', 'a', 9), address('2', null, 8.7)], q)).toMatchObject({ ok: false, wait: true, reason: expect.stringMatching(/not the best search result/) });
  });

  it('no exact match waits; several exact matches wait; nothing found fails', () => {
    expect(chooseLocation([address('2', 'a', 9)], q)).toMatchObject({ ok: false, wait: true, reason: expect.stringMatching(/no location matches/) });
    expect(chooseLocation([address('2', null, 9), { ...address('2', null, 5), uuid: 'other' }], q)).toMatchObject({ ok: false, wait: true, reason: expect.stringMatching(/2 locations match/) });
    expect(chooseLocation([], q)).toMatchObject({ ok: false, wait: false });
  });
});
