import { describe, expect, it } from 'vitest';
import { AvailabilityRowMapper, availabilityMappingSchema } from '../../src/pipelines/maasplassen-availability/mapping.js';

const mapping = availabilityMappingSchema.parse({
  boat: 'boat_id',
  date: 'date',
  available: 'available',
  prices: [{ desc: 'd1', desc_de: 'd1_de', cents: 'c1' }, { desc: 'd2', cents: 'c2' }],
});

describe('AvailabilityRowMapper.map', () => {
  it('finds the columns by name, in whatever order the source has them', () => {
    const mapper = new AvailabilityRowMapper(mapping);
    const columns = ['c2', 'd2', 'date', 'boat_id', 'c1', 'd1_de', 'd1', 'available'];
    expect(mapper.map(columns, ['5500', 'Halve dag', '2027-06-01', ' 91 ', '9500', 'Ganzer Tag', 'Hele dag', 'ja'])).toEqual({
      boat: '91',
      date: '2027-06-01',
      prizes: [{ desc: 'Hele dag', desc_de: 'Ganzer Tag', cents: 9500 }, { desc: 'Halve dag', cents: 5500 }],
    });
    expect(mapper.map(columns, ['', '', '2027-06-02', '91', '', '', '', 'nee'])).toEqual({ boat: '91', date: '2027-06-02', prizes: null });
  });

  it('takes the last of a column named twice, reads null as empty, and finds the columns again for a new column list', () => {
    const mapper = new AvailabilityRowMapper(mapping);
    expect(mapper.map(['boat_id', 'date', 'd1', 'c1', 'd1'], ['91', '2027-06-01', 'first', '100', 'last'])).toEqual({
      boat: '91',
      date: '2027-06-01',
      prizes: [{ desc: 'last', cents: 100 }],
    });
    // A query's next fetch: the same names in another order, SQL values (numbers, null).
    expect(mapper.map(['c1', 'd1', 'date', 'boat_id', 'available'], [250, 'Dag', '2027-06-03', 92, null])).toEqual({
      boat: '92',
      date: '2027-06-03',
      prizes: [{ desc: 'Dag', cents: 250 }],
    });
  });

  it('says which column is missing from the source', () => {
    const mapper = new AvailabilityRowMapper(mapping);
    expect(mapper.map(['date', 'd1', 'c1'], ['2027-06-01', 'Dag', '1'])).toEqual({ field: 'boat_id', reason: 'column "boat_id" is missing from the source' });
    expect(mapper.map(['boat_id', 'constructor'], ['91', 'x'])).toEqual({ field: 'date', reason: 'column "date" is missing from the source' });
  });
});
