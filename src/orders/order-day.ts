/**
 * The order day: the unit of a daily order cap, a calendar day in the upstream's configured time zone. Both the
 * cap check (the claim) and the cap report (plan, status) take their day from here, so they agree at midnight.
 */

/** The calendar day (YYYY-MM-DD) of `now` in `timeZone`. */
export function orderDay(timeZone: string, now: Date = new Date()): string {
  return dayFormat(timeZone).format(now);
}

// One formatter per zone, kept: each new Intl.DateTimeFormat takes ICU memory outside the JS heap, which V8 does
// not see and so collects late, and nextDayStart formats up to ~84 times a call. Built per call, 300 calls just
// after midnight took a process from ~50 to 452 MiB RSS (the daemon's RSS trend, issue 14).
const dayFormats = new Map<string, Intl.DateTimeFormat>();
function dayFormat(timeZone: string): Intl.DateTimeFormat {
  let format = dayFormats.get(timeZone);
  if (!format) {
    // en-CA formats dates as YYYY-MM-DD. An unknown zone throws here, on every call, as before.
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormats.set(timeZone, format);
  }
  return format;
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
