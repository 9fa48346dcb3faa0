import { describe, expect, it } from 'vitest';
import { nextDayStart, orderDay } from '../../src/orders/order-day.js';

describe('orderDay and nextDayStart', () => {
  const justAfterMidnightInAmsterdam = new Date('2026-12-04T23:00:30Z');

  it('take the calendar day of each zone, zones kept apart', () => {
    expect(orderDay('Europe/Amsterdam', justAfterMidnightInAmsterdam)).toBe('2026-12-05');
    expect(orderDay('UTC', justAfterMidnightInAmsterdam)).toBe('2026-12-04');
    expect(orderDay('Europe/Amsterdam', justAfterMidnightInAmsterdam)).toBe('2026-12-05');
  });

  it('end the day at the next midnight in the zone, also when it has just begun', () => {
    expect(nextDayStart('Europe/Amsterdam', justAfterMidnightInAmsterdam).toISOString()).toBe('2026-12-05T23:00:00.000Z');
    expect(nextDayStart('UTC', justAfterMidnightInAmsterdam).toISOString()).toBe('2026-12-05T00:00:00.000Z');
  });

  it('refuse an unknown zone, every time', () => {
    for (let i = 0; i < 2; i++) expect(() => orderDay('Nowhere/Atlantis')).toThrow(RangeError);
  });
});
