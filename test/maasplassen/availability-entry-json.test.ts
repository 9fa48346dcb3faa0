import { describe, expect, it } from 'vitest';
import { type AvailabilityEntry, availabilityEntryFromJson, availabilityEntryJson } from '../../src/upstreams/maasplassen/client.js';

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

  it('gives the entry back from its wire form, ids as read', () => {
    for (const e of entries) expect(availabilityEntryFromJson(availabilityEntryJson(e))).toEqual(e);
  });
});
