/**
 * The order day: the unit of a daily order cap, a calendar day in the upstream's configured time zone. Both the
 * cap check (the claim) and the cap report (plan, status) take their day from here, so they agree at midnight.
 */

/** The calendar day (YYYY-MM-DD) of `now` in `timeZone`. */
export function orderDay(timeZone: string, now: Date = new Date()): string {
  // en-CA formats dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/** When the order day of `now` ends: the next midnight in `timeZone`, as an instant. */
export function nextDayStart(timeZone: string, now: Date = new Date()): Date {
  // Walk forward in hours until the calendar date in the zone changes, then back to the exact minute.
  const today = orderDay(timeZone, now);
  let t = now.getTime() - (now.getTime() % 60_000);
  let step = 3_600_000;
  while (orderDay(timeZone, new Date(t + step)) === today) t += step;
  for (step = 60_000; orderDay(timeZone, new Date(t + step)) === today; ) t += step;
  return new Date(t + step);
}
