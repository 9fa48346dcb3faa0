/**
 * Hostile CSV input to a real pipeline (maasplassen-availability) on the sandbox: every bad record is rejected
 * with the file, the line where it starts and the reason (and the column when one is at fault), and every
 * good record around it still lands upstream.
 *
 * Formula-looking cells (`=cmd|…`, `+…`, `-…`, `@…`): koppel is a pipe into APIs, not a spreadsheet, so such a
 * cell is data: it is sent unchanged and never evaluated. koppel writes no CSV of its own (only the demo writes
 * example *inputs*), so there is no output a spreadsheet could open and run; should one appear, it must prefix
 * such cells with `'` (OWASP "CSV injection"). The case below proves the bytes arrive at the API as written.
 */
import { writeFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type MaasplassenSandbox, startMaasplassenSandbox } from '../../sandbox/maasplassen/server.js';
import { HEADER, type MaasWorld, good, maasWorld } from '../helpers/maas-world.js';

const lines = (...rows: string[]) => `${rows.join('\n')}\n`;

describe('hostile CSV input (maasplassen-availability)', () => {
  let sandbox: MaasplassenSandbox;
  let w: MaasWorld;
  beforeAll(async () => {
    sandbox = await startMaasplassenSandbox();
  });
  afterAll(() => sandbox.close());
  afterEach(async () => {
    await w?.app.dispose();
    sandbox.reset();
  });

  const stored = (boat: string, day: number) => sandbox.availability(1, boat, `2027-06-${String(day).padStart(2, '0')}`);

  it('an unclosed quote costs only its own record: the rows after it are synced', async () => {
    w = await maasWorld(sandbox);
    await writeFile(w.csv, lines(HEADER, good('91', 1), '92,2027-06-02,ja,"Hele dag,Ganzer Tag,9500,,,', good('93', 3), good('94', 4)));
    const r = await w.run();
    expect(r.outcome).toBe('rejected');
    expect(await w.rejections(r.runId)).toEqual([{ source: w.csv, line: 3, field: null, reason: expect.stringMatching(/^unclosed quote/), value: null }]);
    for (const [boat, day] of [['91', 1], ['93', 3], ['94', 4]] as const) expect(stored(boat, day)).not.toBeUndefined();
    expect(r.counts).toMatchObject({ created: 3, rejected: 1 });
  });

  it('wrong column counts (too few, too many) are named with their line; the others are synced', async () => {
    w = await maasWorld(sandbox);
    // The last bad row comes after an unclosed quote, where the parser restarts counting: the reason must not
    // quote the parser's own (restarted) line number, only the row's real one.
    await writeFile(w.csv, lines(HEADER, '91,2027-06-01,ja', good('92', 2), `${good('93', 3)},extra,extra`, good('94', 4), '95,"open', good('91', 6), '92,2027-06-07'));
    const r = await w.run();
    const rej = await w.rejections(r.runId);
    expect(rej.map((x) => [x.line, x.reason])).toEqual([
      [2, 'wrong number of columns: the header has 9, this row 3'],
      [4, 'wrong number of columns: the header has 9, this row 11'],
      [6, expect.stringMatching(/^unclosed quote/)],
      [8, 'wrong number of columns: the header has 9, this row 2'],
    ]);
    expect(stored('92', 2)).not.toBeUndefined();
    expect(stored('94', 4)).not.toBeUndefined();
    expect(stored('91', 6)).not.toBeUndefined();
    expect(sandbox.availabilityCount(1)).toBe(3);
  });

  it('invalid UTF-8 is rejected with the column and a hint, not passed on as U+FFFD', async () => {
    w = await maasWorld(sandbox);
    const bad = Buffer.concat([Buffer.from('92,2027-06-02,ja,Hele '), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('dag,,9500,,,\n')]);
    await writeFile(w.csv, Buffer.concat([Buffer.from(lines(HEADER, good('91', 1))), bad, Buffer.from(lines(good('93', 3)))]));
    const r = await w.run();
    expect(await w.rejections(r.runId)).toEqual([
      { source: w.csv, line: 3, field: null, reason: expect.stringMatching(/column "price1_desc_nl" is not valid UTF-8 .*encoding: windows-1252/), value: null },
    ]);
    expect(sandbox.availabilityCount(1)).toBe(2);
    expect(JSON.stringify(sandbox.availability(1, '91', '2027-06-01'))).not.toContain('\uFFFD');
  });

  it('a 10 MB field is skipped without loading it; the rows before and after are synced', async () => {
    w = await maasWorld(sandbox);
    const huge = `95,2027-06-05,ja,"${'x'.repeat(10 * 1024 * 1024)}",,9500,,,`;
    await writeFile(w.csv, lines(HEADER, good('91', 1), huge, good('92', 2), good('93', 3)));
    const r = await w.run();
    expect(await w.rejections(r.runId)).toEqual([{ source: w.csv, line: 3, field: null, reason: expect.stringMatching(/record too large .*max_record_chars/), value: null }]);
    expect(sandbox.availabilityCount(1)).toBe(3);
    expect(stored('95', 5)).toBeUndefined();
  });

  it('a row with 100 000 columns is one rejected row, not a crash or a giant log line', async () => {
    w = await maasWorld(sandbox);
    await writeFile(w.csv, lines(HEADER, good('91', 1), `92,2027-06-02${',x'.repeat(100_000)}`, good('93', 3)));
    const r = await w.run();
    const [rej] = await w.rejections(r.runId);
    expect(rej).toMatchObject({ line: 3, reason: expect.stringMatching(/wrong number of columns.*this row 100002/) });
    expect(rej!.reason.length).toBeLessThan(300);
    expect(Math.max(...w.app.logs.lines.map((l) => l.length))).toBeLessThan(10_000);
    expect(sandbox.availabilityCount(1)).toBe(2);
  });

  it('a NUL byte in a field rejects that record (binary or corrupted data) and never breaks the run', async () => {
    w = await maasWorld(sandbox);
    // Before the fix, the NUL reached the rejection report and Postgres ("invalid byte sequence 0x00") failed the
    // whole run. Now the CSV source refuses the record, naming the column.
    await writeFile(w.csv, lines(HEADER, good('91', 1), '9\u00002,2027-06-02,ja,Hele dag,,9500,,,', '93,2027-06-03,ja,Hele\u0000dag,,9500,,,', good('94', 4)));
    const r = await w.run();
    expect(r.error).toBeUndefined();
    expect(r.outcome).toBe('rejected');
    expect((await w.rejections(r.runId)).map((x) => [x.line, x.reason])).toEqual([
      [3, 'column "boat_id" contains a NUL byte (binary or corrupted data)'],
      [4, 'column "price1_desc_nl" contains a NUL byte (binary or corrupted data)'],
    ]);
    expect(sandbox.availabilityCount(1)).toBe(2);
  });

  it('dates that do not exist (2027-02-30, 2027-13-01) and free text are rejected by column', async () => {
    w = await maasWorld(sandbox);
    await writeFile(w.csv, lines(HEADER, '91,2027-02-30,ja,Hele dag,,9500,,,', '92,2027-13-01,ja,Hele dag,,9500,,,', '93,morgen,ja,Hele dag,,9500,,,', good('94', 4)));
    const r = await w.run();
    expect((await w.rejections(r.runId)).map((x) => [x.line, x.field, x.reason, x.value])).toEqual([
      [2, 'date', 'expected a date YYYY-MM-DD', '2027-02-30'],
      [3, 'date', 'expected a date YYYY-MM-DD', '2027-13-01'],
      [4, 'date', 'expected a date YYYY-MM-DD', 'morgen'],
    ]);
    expect(sandbox.availabilityCount(1)).toBe(1);
  });

  it('negative, NaN, Infinity, exponent, fractional and 13-digit amounts are rejected; the good row is synced', async () => {
    w = await maasWorld(sandbox);
    const amounts = ['-5', 'NaN', 'Infinity', '1e400', '95.5', '1234567890123'];
    await writeFile(w.csv, lines(HEADER, ...amounts.map((a, i) => `9${i % 5 + 1},2027-07-${String(i + 1).padStart(2, '0')},ja,Hele dag,,${a},,,`), good('91', 1)));
    const r = await w.run();
    const rej = await w.rejections(r.runId);
    expect(rej.map((x) => [x.line, x.field, x.value])).toEqual(amounts.map((a, i) => [i + 2, 'price1_cents', a]));
    expect(rej.every((x) => x.reason === 'expected a non-negative whole number of cents')).toBe(true);
    expect(sandbox.availabilityCount(1)).toBe(1);
  });

  it('formula-looking cells are data: sent to the API byte for byte, never evaluated or altered', async () => {
    w = await maasWorld(sandbox);
    const formulas = ["=cmd|' /C calc'!A0", '+31 6 1234', '-2+3', '@SUM(A1:A9)', '=HYPERLINK("http://x")'];
    const quoted = (s: string) => `"${s.replace(/"/g, '""')}"`;
    await writeFile(w.csv, lines(HEADER, ...formulas.map((f, i) => `9${i + 1},2027-06-01,ja,${quoted(f)},${quoted(f)},9500,,,`)));
    const r = await w.run();
    expect(r.outcome).toBe('succeeded');
    formulas.forEach((f, i) => expect(sandbox.availability(1, `9${i + 1}`, '2027-06-01')).toEqual([{ desc: f, desc_de: f, cents: 9500 }]));
  });

  it('BOM + ";" + CRLF (a Dutch spreadsheet export) reads exactly like plain CSV', async () => {
    w = await maasWorld(sandbox);
    const rows = [HEADER, good('91', 1), good('92', 2, 12345)].map((l) => l.replace(/,/g, ';'));
    await writeFile(w.csv, `\uFEFF${rows.join('\r\n')}\r\n`);
    const r = await w.run();
    expect(r.outcome).toBe('succeeded');
    expect(sandbox.availability(1, '92', '2027-06-02')).toEqual([{ desc: 'Hele dag', desc_de: 'Ganzer Tag', cents: 12345 }]);
    expect(sandbox.availabilityCount(1)).toBe(2);
  });

  it('an empty file fails the run naming the file (a truncated export is not "no data"); state is unchanged', async () => {
    w = await maasWorld(sandbox);
    await writeFile(w.csv, lines(HEADER, good('91', 1)));
    expect((await w.run()).outcome).toBe('succeeded');
    const before = await w.app.db.kysely.selectFrom('item_state').selectAll().execute();
    await writeFile(w.csv, '');
    const r = await w.run();
    expect(r.outcome).toBe('failed');
    expect(r.error?.message).toBe(`${w.csv}: the file is empty (expected a header line)`);
    expect(await w.app.db.kysely.selectFrom('item_state').selectAll().execute()).toEqual(before);
    expect(stored('91', 1)).not.toBeUndefined();
  });

  it('a header-only file is a run with nothing to do, and what was pushed before stays', async () => {
    w = await maasWorld(sandbox);
    await writeFile(w.csv, lines(HEADER, good('91', 1)));
    await w.run();
    await writeFile(w.csv, lines(HEADER));
    const r = await w.run();
    expect(r.outcome).toBe('succeeded');
    expect(r.counts).toMatchObject({ seen: 0, created: 0, updated: 0, rejected: 0 });
    expect(stored('91', 1)).not.toBeUndefined();
  });

  it('a missing file fails the run naming the path and why; nothing is sent', async () => {
    w = await maasWorld(sandbox);
    const r = await w.run();
    expect(r.outcome).toBe('failed');
    expect(r.error?.message).toBe(`cannot read ${w.csv}: ENOENT`);
    expect(sandbox.requests.filter((q) => q.path.endsWith('/availability/update'))).toHaveLength(0);
  });
});
