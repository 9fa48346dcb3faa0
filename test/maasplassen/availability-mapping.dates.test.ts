import { describe, expect, it } from 'vitest';
import { normaliseDate } from '../../src/pipelines/maasplassen-availability/mapping.js';

describe('normaliseDate', () => {
  it('reads calendar dates as text, both orders', () => {
    expect(normaliseDate('2028-02-29')).toBe('2028-02-29');
    expect(normaliseDate('31-12-2027')).toBe('2027-12-31');
  });

  it('takes a timestamp without zone at exactly midnight as that day (a SQL timestamp column)', () => {
    expect(normaliseDate('2027-06-01 00:00:00')).toBe('2027-06-01');
    expect(normaliseDate('2027-06-01T00:00')).toBe('2027-06-01');
  });

  it('refuses what is not one calendar day: no such date, a time of day, a zone offset', () => {
    for (const text of ['2027-02-29', '2027-13-01', '2027-06-01 10:00:00', '2027-06-01 00:00:00+02', '2027-06-01T00:00:00Z', '2027-6-1']) {
      expect(normaliseDate(text), text).toBeUndefined();
    }
  });
});
