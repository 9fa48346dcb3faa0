import { describe, expect, it } from 'vitest';
import {
  type AvailabilityEntry,
  availabilityBoatJson,
  availabilityEntryJson,
  availabilityEntryJsonOf,
} from '../../src/upstreams/maasplassen/client.js';

describe('availabilityEntryJson', () => {
  const entries: AvailabilityEntry[] = [
    { boat: '91', date: '2027-06-01', prizes: [{ desc: 'Hele dag', desc_de: 'Ganzer Tag', cents: 9500 }, { desc: 'Halve dag', cents: 5500 }] },
    { boat: 'V-12', date: '2027-06-02', prizes: null },
    { boat: '007', date: '2027-06-03', prizes: [{ desc: 'Zeilboot "Valk" — €', cents: 0 }] },
  ];

  it('writes the bytes the service has always received: numeric ids as numbers, keys in this order', () => {
    expect(entries.map(availabilityEntryJson)).toEqual([
      '{"boat":91,"date":"2027-06-01","prizes":[{"desc":"Hele dag","desc_de":"Ganzer Tag","cents":9500},{"desc":"Halve dag","cents":5500}]}',
      '{"boat":"V-12","date":"2027-06-02","prizes":null}',
      '{"boat":"007","date":"2027-06-03","prizes":[{"desc":"Zeilboot \\"Valk\\" — €","cents":0}]}',
    ]);
  });
});

describe('availabilityEntryJsonOf', () => {
  it('writes the bytes of JSON.stringify of the entry, from the JSON of its parts', () => {
    const boats = ['91', '0', '007', '1e3', '12345678901234567', 'V-12', 'a"b\\c', ' 9', 'é🚤'];
    const prizesLists = [null, [], [{ desc: 'Hele dag', desc_de: 'Ganzer Tag', cents: 9500 }, { desc: 'Halve dag', cents: 5500 }], [{ desc: 'x\u0001"', cents: 0 }]];
    for (const boat of boats) {
      for (const prizes of prizesLists) {
        const wireBoat = /^(0|[1-9]\d{0,14})$/.test(boat) ? Number(boat) : boat;
        const expected = JSON.stringify({ boat: wireBoat, date: '2027-06-01', prizes });
        expect(availabilityEntryJsonOf(availabilityBoatJson(boat), '2027-06-01', JSON.stringify(prizes))).toBe(expected);
        expect(availabilityEntryJson({ boat, date: '2027-06-01', prizes })).toBe(expected);
      }
    }
  });
});
