/** The calendar day (YYYY-MM-DD) of `now` in `timeZone`: the unit of a daily order cap. */
export function orderDay(timeZone: string, now: Date = new Date()): string {
  // en-CA formats dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}
