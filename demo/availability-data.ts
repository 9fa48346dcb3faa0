import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/** Header of the example availability CSV (matches mappings/maasplassen-availability.yaml). */
export const AVAILABILITY_HEADER = ['boat_id', 'date', 'available', 'price1_desc_nl', 'price1_desc_de', 'price1_cents', 'price2_desc_nl', 'price2_desc_de', 'price2_cents'];

export interface AvailabilityRow {
  boat: string;
  date: string;
  available: boolean;
  dayCents?: number;
  halfDayCents?: number;
}

/** `count` dates from `start` (YYYY-MM-DD). */
export function dateRange(start: string, count: number): string[] {
  const base = Date.parse(`${start}T00:00:00Z`);
  return Array.from({ length: count }, (_, i) => new Date(base + i * 86_400_000).toISOString().slice(0, 10));
}

/** Deterministic example rows: every boat, every date, a day and a half-day price; every 7th day blocked. */
export function exampleAvailability(boats: readonly string[], dates: readonly string[]): AvailabilityRow[] {
  const rows: AvailabilityRow[] = [];
  boats.forEach((boat, b) =>
    dates.forEach((date, d) => {
      const available = (b + d) % 7 !== 3;
      rows.push(available ? { boat, date, available, dayCents: 9500 + b * 500 + (d % 3) * 250, halfDayCents: 5500 + b * 300 } : { boat, date, available });
    }),
  );
  return rows;
}

function csvLine(cells: readonly string[], delimiter: string): string {
  return cells.map((c) => (/[",;\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(delimiter);
}

export function availabilityCells(r: AvailabilityRow): string[] {
  if (!r.available) return [r.boat, r.date, 'nee', '', '', '', '', '', ''];
  return [r.boat, r.date, 'ja', 'Hele dag', 'Ganzer Tag', String(r.dayCents ?? ''), 'Halve dag', 'Halber Tag', String(r.halfDayCents ?? '')];
}

/** Writes rows (plus any raw extra lines, e.g. deliberately bad ones) as a CSV file, streaming. */
export async function writeAvailabilityCsv(path: string, rows: Iterable<AvailabilityRow>, extraLines: readonly string[] = [], delimiter = ','): Promise<void> {
  const out = createWriteStream(path);
  const write = async (line: string) => {
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  };
  await write(csvLine(AVAILABILITY_HEADER, delimiter));
  for (const r of rows) await write(csvLine(availabilityCells(r), delimiter));
  for (const line of extraLines) await write(line);
  out.end();
  await once(out, 'finish');
}
