import { describe, expect, it } from 'vitest';
import { CsvRecordSplitter, type SplitRecord } from '../../src/core/csv-records.js';

const LIMITS = { delimiter: ',', maxChars: 1024, maxLines: 5 };

function split(text: string, chunk = text.length || 1, limits = LIMITS): SplitRecord[] {
  const s = new CsvRecordSplitter(limits);
  const out: SplitRecord[] = [];
  for (let at = 0; at < text.length; at += chunk) out.push(...s.push(text.slice(at, at + chunk)));
  out.push(...s.end());
  return out;
}

/** Records without the error texts, to compare shapes. */
const shape = (records: SplitRecord[]) => records.map((r) => (r.error === undefined ? [r.line, ...r.fields] : [r.line, 'ERROR']));

describe('CsvRecordSplitter', () => {
  // Every case below, fed one character at a time up to whole: a chunk boundary anywhere changes nothing.
  const cases: Record<string, string> = {
    plain: 'a,b\n1,2\n3,4',
    crlf: 'a,b\r\n1,2\r\n\r\n3,"x\r\ny"\r\n',
    escapes: 'a,b\n"say ""hi""",2\n"",""\n',
    multiLine: 'a,b\n"one\ntwo\nthree",2\n4,5\n',
    strayQuote: 'a,b\n1,2\n3,"open\n4,5\n6,7\n',
    badClose: 'a,b\n1,"ab"c,2\n3,4\n',
    strayThenQuoted: 'a,b\n1,"stray\n2,x\n3,"q"\n4,y\n',
    tooManyLines: 'a,b\n1,"x\n2\n3\n4\n5\n6\n7\n8\n',
    quoteAfterMultiLine: 'a,b\n"ok\nfine","bad\n9,9\n8,8\n',
    trailingDelimiter: 'a,b\n1,',
    quoteInsideValue: 'a,b\n10" board,2\n3,4\n',
  };
  for (const [name, text] of Object.entries(cases)) {
    it(`reads "${name}" the same in chunks of any size`, () => {
      const whole = split(text);
      for (let chunk = 1; chunk <= text.length; chunk++) expect(split(text, chunk), `chunk ${chunk}`).toEqual(whole);
    });
  }

  it('keeps quoted line breaks, escaped quotes and CRLF ends apart; skips empty lines', () => {
    expect(split(cases.crlf!)).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['1', '2'] },
      { line: 4, fields: ['3', 'x\r\ny'] },
    ]);
    expect(shape(split(cases.escapes!))).toEqual([[1, 'a', 'b'], [2, 'say "hi"', '2'], [3, '', '']]);
    expect(shape(split(cases.trailingDelimiter!))).toEqual([[1, 'a', 'b'], [2, '1', '']]);
    // A quote inside a value that does not start with one is just a character (10" = ten inches).
    expect(shape(split(cases.quoteInsideValue!))).toEqual([[1, 'a', 'b'], [2, '10" board', '2'], [3, '3', '4']]);
  });

  it('a quote that never closes costs its own record: reading resumes on the next line', () => {
    expect(shape(split(cases.strayQuote!))).toEqual([[1, 'a', 'b'], [2, '1', '2'], [3, 'ERROR'], [4, '4', '5'], [5, '6', '7']]);
    expect(split(cases.strayQuote!)[2]!.error).toMatch(/^unclosed quote: the quoted field opened on line 3 never closes; .*reading goes on at line 4/);
  });

  it('a stray quote closed by a later field quote costs only its own record', () => {
    const out = split(cases.strayThenQuoted!);
    expect(shape(out)).toEqual([[1, 'a', 'b'], [2, 'ERROR'], [3, '2', 'x'], [4, '3', 'q'], [5, '4', 'y']]);
    expect(out[1]!.error).toMatch(/^bad quote: the quoted field opened on line 2 ends at a quote on line 4 .*reading goes on at line 3/);
  });

  it('text after a closing quote on the same line rejects that line only', () => {
    expect(shape(split(cases.badClose!))).toEqual([[1, 'a', 'b'], [2, 'ERROR'], [3, '3', '4']]);
  });

  it('a quoted field may span maxLines lines, not one more', () => {
    expect(shape(split('a\n"1\n2\n3\n4\n5"\nz\n'))).toEqual([[1, 'a'], [2, '1\n2\n3\n4\n5'], [7, 'z']]);
    const out = split(cases.tooManyLines!);
    expect(shape(out)).toEqual([[1, 'a', 'b'], [2, 'ERROR'], [3, '2'], [4, '3'], [5, '4'], [6, '5'], [7, '6'], [8, '7'], [9, '8']]);
    expect(out[1]!.error).toMatch(/still open 5 lines later \(more than max_record_lines\).*line 3/);
  });

  it('a bad quote after a good multi-line field resumes after the bad quote\'s line, reported at the record start', () => {
    expect(shape(split(cases.quoteAfterMultiLine!))).toEqual([[1, 'a', 'b'], [2, 'ERROR'], [4, '9', '9'], [5, '8', '8']]);
  });

  it('a record over maxChars with an open quote resumes on the line after the quote; one without skips its line', () => {
    const limits = { ...LIMITS, maxChars: 1024, maxLines: 1000 };
    const long = 'y'.repeat(200);
    const rows = Array.from({ length: 20 }, (_, i) => `${i},${long}`).join('\n');
    const out = split(`a,b\n1,"stray\n${rows}\n`, 100, limits);
    expect(out[1]).toEqual({ line: 2, error: expect.stringMatching(/^record too large .*quoted field opened on line 2 is still open.*line 3/) });
    expect(out.slice(2)).toEqual(Array.from({ length: 20 }, (_, i) => ({ line: i + 3, fields: [String(i), long] })));
    const flat = split(`a,b\n1,${'x'.repeat(5000)}\n2,3\n`, 100, limits);
    expect(shape(flat)).toEqual([[1, 'a', 'b'], [2, 'ERROR'], [3, '2', '3']]);
  });

  it('examines each character about once, even with a stray quote every few lines', () => {
    const text = `a,b\n${Array.from({ length: 2000 }, (_, i) => (i % 7 === 3 ? `${i},"stray` : `${i},v`)).join('\n')}\n`;
    const s = new CsvRecordSplitter({ delimiter: ',', maxChars: 1024 * 1024, maxLines: 1000 });
    const out = [...s.push(text), ...s.end()];
    expect(out.filter((r) => r.fields).length).toBe(1 + 2000 - Math.floor((2000 - 4) / 7 + 1));
    // A stray quote here is closed by the next one (a bad quote), so what is scanned twice is a few lines each.
    expect(s.scanned).toBeLessThan(text.length * 2.5);
  });
});
