import { describe, expect, it } from 'vitest';
import { AvailabilityRowMapper, availabilityMappingSchema, type MappedRow, type RowProblem } from '../../src/pipelines/maasplassen-availability/mapping.js';

const mapping = availabilityMappingSchema.parse({
  boat: 'boat_id',
  date: 'date',
  available: 'available',
  prices: [{ desc: 'd1', desc_de: 'd1_de', cents: 'c1' }, { desc: 'd2', cents: 'c2' }],
});

/** A mapped row with its prizes read back from the price list's wire JSON. */
const entry = (r: MappedRow | RowProblem) => ('reason' in r ? r : { boat: r.boat, date: r.date, prizes: JSON.parse(r.prices.json) as unknown });

describe('AvailabilityRowMapper.map', () => {
  it('finds the columns by name, in whatever order the source has them', () => {
    const mapper = new AvailabilityRowMapper(mapping);
    const columns = ['c2', 'd2', 'date', 'boat_id', 'c1', 'd1_de', 'd1', 'available'];
    expect(entry(mapper.map(columns, ['5500', 'Halve dag', '2027-06-01', ' 91 ', '9500', 'Ganzer Tag', 'Hele dag', 'ja']))).toEqual({
      boat: '91',
      date: '2027-06-01',
      prizes: [{ desc: 'Hele dag', desc_de: 'Ganzer Tag', cents: 9500 }, { desc: 'Halve dag', cents: 5500 }],
    });
    expect(entry(mapper.map(columns, ['', '', '2027-06-02', '91', '', '', '', 'nee']))).toEqual({ boat: '91', date: '2027-06-02', prizes: null });
  });

  it('takes the last of a column named twice, reads null as empty, and finds the columns again for a new column list', () => {
    const mapper = new AvailabilityRowMapper(mapping);
    expect(entry(mapper.map(['boat_id', 'date', 'd1', 'c1', 'd1'], ['91', '2027-06-01', 'first', '100', 'last']))).toEqual({
      boat: '91',
      date: '2027-06-01',
      prizes: [{ desc: 'last', cents: 100 }],
    });
    // A query's next fetch: the same names in another order, SQL values (numbers, null).
    expect(entry(mapper.map(['c1', 'd1', 'date', 'boat_id', 'available'], [250, 'Dag', '2027-06-03', 92, null]))).toEqual({
      boat: '92',
      date: '2027-06-03',
      prizes: [{ desc: 'Dag', cents: 250 }],
    });
  });

  it('says which column is missing from the source', () => {
    const mapper = new AvailabilityRowMapper(mapping);
    expect(entry(mapper.map(['date', 'd1', 'c1'], ['2027-06-01', 'Dag', '1']))).toEqual({ field: 'boat_id', reason: 'column "boat_id" is missing from the source' });
    expect(entry(mapper.map(['boat_id', 'constructor'], ['91', 'x']))).toEqual({ field: 'date', reason: 'column "date" is missing from the source' });
  });
});

describe('AvailabilityRowMapper.map price lists', () => {
  it('gives rows with the same prizes one shared price list, and rows with other prizes another', () => {
    const mapper = new AvailabilityRowMapper(mapping);
    const columns = ['boat_id', 'date', 'd1', 'd1_de', 'c1', 'd2', 'c2'];
    const row = (date: string, ...prices: string[]) => mapper.map(columns, ['91', date, ...prices]) as MappedRow;
    const a = row('2027-06-01', 'Hele dag', 'Ganzer Tag', '9500', 'Halve dag', '5500');
    expect(row('2027-06-02', 'Hele dag', 'Ganzer Tag', '9500', 'Halve dag', '5500').prices).toBe(a.prices);
    // Each field tells lists apart, an empty German text is no German text, and a shorter list is another list.
    const others = [
      row('2027-06-03', 'Hele dag', 'Ganzer Tag', '9501', 'Halve dag', '5500'),
      row('2027-06-03', 'Hele dag', '', '9500', 'Halve dag', '5500'),
      row('2027-06-03', 'Hele dag', 'Ganzer Tag', '9500', 'Halve dag!', '5500'),
      row('2027-06-03', 'Hele dag', 'Ganzer Tag', '9500', '', ''),
    ];
    expect(new Set([a.prices, ...others.map((r) => r.prices)]).size).toBe(5);
    expect(JSON.parse(others[1]!.prices.json)).toEqual([{ desc: 'Hele dag', cents: 9500 }, { desc: 'Halve dag', cents: 5500 }]);
    expect(JSON.parse(others[3]!.prices.json)).toEqual([{ desc: 'Hele dag', desc_de: 'Ganzer Tag', cents: 9500 }]);
  });
});
