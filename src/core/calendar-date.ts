/**
 * Calendar dates as `YYYY-MM-DD` text. A date never passes through a JS Date at local midnight: that instant
 * formatted in UTC is the day before in every zone east of UTC. The check below works in UTC only.
 */

/** `YYYY-MM-DD` when year, month and day form a real calendar date (no 30 February), else undefined. */
export function calendarDate(year: number, month: number, day: number): string | undefined {
  const dt = new Date(Date.UTC(year, month - 1, day));
  if (dt.getUTCFullYear() !== year || dt.getUTCMonth() !== month - 1 || dt.getUTCDate() !== day) return undefined;
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** True for exactly `YYYY-MM-DD` naming a real calendar date. */
export function isCalendarDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  return m !== null && calendarDate(Number(m[1]), Number(m[2]), Number(m[3])) === text;
}
