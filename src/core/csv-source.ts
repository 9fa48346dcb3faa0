import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import { open } from 'node:fs/promises';
import type Iconv from 'iconv-lite';
import { z } from 'zod';
import { ConfigError } from './errors.js';

/**
 * Streaming CSV input shared by every pipeline that reads files: decoding (UTF-8 with or without BOM,
 * Windows-1252 through iconv-lite, since Node 20's TextDecoder maps it as latin1), delimiter detection,
 * the physical line where each record starts, and per-record errors that never stop the stream.
 */

export const csvOptionsSchema = z
  .object({
    /** Field separator; `auto` picks `;`, `,` or tab from the header line. @default "auto" */
    delimiter: z.union([z.literal('auto'), z.string().length(1)]).default('auto').describe('field separator or auto'),
    /** File encoding: utf-8 (a BOM is ignored) or windows-1252 (spreadsheet exports). @default "utf-8" */
    encoding: z.enum(['utf-8', 'windows-1252', 'latin1', 'utf-16le']).default('utf-8').describe('file encoding'),
    /** Longest record accepted, in characters; a longer one is rejected, not loaded. @default 1048576 */
    max_record_chars: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024).describe('longest record in characters'),
  })
  .strict();

export type CsvOptions = z.output<typeof csvOptionsSchema>;

/** A good record (`values` by header name) or a bad one (`error`), with the line where it starts. */
export type CsvRow =
  | { line: number; values: Record<string, string>; error?: undefined }
  | { line: number; values?: undefined; error: string };

const ICONV_NAMES: Record<CsvOptions['encoding'], string> = {
  'utf-8': 'utf8',
  'windows-1252': 'win1252',
  latin1: 'latin1',
  'utf-16le': 'utf16le',
};

/** Chooses the delimiter that splits the header line into the most fields (quoted parts ignored). */
export function detectDelimiter(headerLine: string): string {
  const unquoted = headerLine.replace(/"[^"]*"/g, '');
  const candidates = [';', ',', '\t', '|'];
  let best = ',';
  let bestCount = 0;
  for (const c of candidates) {
    const count = unquoted.split(c).length - 1;
    if (count > bestCount) {
      best = c;
      bestCount = count;
    }
  }
  return best;
}

async function readHeaderLine(iconv: typeof Iconv, path: string, encoding: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    // The parser skips blank lines, so the header is the first line with something on it ('' = none at all).
    const text = iconv.decode(buf.subarray(0, bytesRead), encoding).replace(/^\uFEFF/, '');
    return text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  } finally {
    await handle.close();
  }
}

/**
 * Yields every record of the file with its starting line. Bad records (wrong column count, unclosed quote,
 * oversized, undecodable bytes) come out as `{ line, error }` and the stream goes on; memory stays flat.
 * An unclosed quote would swallow the rest of the file, so parsing restarts on the line after the record
 * that opened it: one bad record never costs the ones after it.
 */
export async function* readCsv(path: string, options: Partial<CsvOptions> = {}): AsyncGenerator<CsvRow> {
  // Callers may pass a larger settings object (e.g. a pipeline's source block): take only our keys.
  const opts = csvOptionsSchema.parse({ delimiter: options.delimiter, encoding: options.encoding, max_record_chars: options.max_record_chars });
  const encoding = ICONV_NAMES[opts.encoding];
  // Loaded by the first read, not at startup: a process whose pipelines read no CSV never needs them.
  const [{ parse }, { default: iconv }] = await Promise.all([import('csv-parse'), import('iconv-lite')]);
  let headerLine: string;
  try {
    headerLine = await readHeaderLine(iconv, path, encoding);
  } catch (err) {
    throw new ConfigError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  // An empty file is a failed or truncated export, not "no rows" (that is a header line alone): say so.
  if (headerLine === '') throw new ConfigError(`${path}: the file is empty (expected a header line)`);
  const delimiter = opts.delimiter === 'auto' ? detectDelimiter(headerLine) : opts.delimiter;
  let header: string[] | undefined;
  let firstLine = 1; // physical line where this pass starts (1 = the header)
  for (;;) {
    const offset = firstLine - 1;
    const skipped: CsvRow[] = [];
    // Set when the parser cannot go on in this pass (unclosed quote, oversized record): report, then restart.
    let restart: { row: CsvRow; nextLine: number } | undefined;
    // Physical line where the last record the PARSER finished ended (good or skipped). The parser runs ahead of
    // the consumer, so this is kept in parse order (on_record / skip), never from the consumer's position.
    let parsedEnd = firstLine;
    const parser = createReadStream(path)
      .pipe(iconv.decodeStream(encoding, { stripBOM: true }))
      .pipe(skipLines(offset))
      .pipe(
        parse({
          delimiter,
          // Records come as arrays and are keyed by the header here: csv-parse's own `columns` defines each field
          // as a property descriptor, which cost more than the rest of its work. So the column count is ours to
          // check too (relax_column_count keeps the parser from checking against a restart pass's first record).
          columns: false,
          relax_column_count: true,
          raw: true,
          bom: true,
          skip_empty_lines: true,
          skip_records_with_error: true,
          max_record_size: opts.max_record_chars,
          // The record's end line rides along from here rather than through `info: true`, which would build a
          // second copy of the parser's state (and of the raw text) for every record.
          on_record: (record: unknown, context) => {
            parsedEnd = context.lines + offset;
            (record as ParsedRecord).lines = context.lines;
            // With `raw: true` the parser hands over { record, raw }, which its typings do not describe.
            return record as string[];
          },
        }),
      );
    parser.on('skip', (err: Error & { code?: string; lines?: number }) => {
      // Once a restart is set this pass is abandoned: an oversized record keeps raising skips (one per chunk)
      // that would move the reported line past the record's real start.
      if (restart) return;
      const start = parsedEnd + 1;
      if (err.lines !== undefined) parsedEnd = err.lines + offset;
      if (err.code === 'CSV_QUOTE_NOT_CLOSED') restart = { row: { line: start, error: describeCsvError(err) }, nextLine: start + 1 };
      else if (err.code === 'CSV_MAX_RECORD_SIZE') restart = { row: { line: start, error: describeCsvError(err) }, nextLine: (err.lines ?? 0) + offset + 1 };
      else skipped.push({ line: (err.lines ?? 0) + offset, error: describeCsvError(err) });
    });
    for await (const chunk of parser as AsyncIterable<ParsedRecord>) {
      const line = chunk.lines + offset - innerLineBreaks(chunk.raw);
      // The parser runs ahead of us, so a skipped record may be known before earlier good ones: keep line order.
      while (skipped.length && skipped[0]!.line < line) yield skipped.shift()!;
      if (!header) {
        header = chunk.record.map((name) => name.trim());
        continue;
      }
      if (chunk.record.length !== header.length) {
        yield { line, error: `wrong number of columns: the header has ${header.length}, this row ${chunk.record.length}` };
        continue;
      }
      // Both checks scan the record's raw text once; the column is looked up only for a record that fails.
      const bad = opts.encoding === 'utf-8' && chunk.raw.includes('\uFFFD') && columnContaining(header, chunk.record, '\uFFFD');
      if (bad) {
        yield { line, error: `column "${bad}" is not valid UTF-8 (if the file is a spreadsheet export, set encoding: windows-1252)` };
        continue;
      }
      // A NUL never belongs in text: it marks a binary or corrupted file, and Postgres and most APIs refuse it.
      const nul = chunk.raw.includes('\u0000') && columnContaining(header, chunk.record, '\u0000');
      if (nul) {
        yield { line, error: `column "${nul}" contains a NUL byte (binary or corrupted data)` };
        continue;
      }
      yield { line, values: keyed(header, chunk.record) };
    }
    while (skipped.length) yield skipped.shift()!;
    if (!restart || !header) return;
    yield restart.row;
    firstLine = restart.nextLine;
  }
}

/** What the parser hands on: the record, its raw text (`raw: true`) and the line it ends on (set in on_record). */
interface ParsedRecord {
  record: string[];
  raw: string;
  lines: number;
}

/** Line breaks inside a record's raw text, not counting the one that ends it. */
function innerLineBreaks(raw: string): number {
  let n = 0;
  for (let at = raw.indexOf('\n'); at >= 0 && at < raw.length - 1; at = raw.indexOf('\n', at + 1)) n++;
  return n;
}

/** The record by column name (a repeated name keeps its last value). Every record fills the same names in the same order, so they share one shape. */
function keyed(header: string[], fields: string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (let i = 0; i < header.length; i++) values[header[i]!] = fields[i]!;
  return values;
}

/** The first column whose value contains `text` (undefined when none does). */
function columnContaining(header: string[], fields: string[], text: string): string | undefined {
  const at = fields.findIndex((field) => field.includes(text));
  return at < 0 ? undefined : header[at];
}

/** Drops the first `count` lines of a decoded text stream. */
function skipLines(count: number): Transform {
  let left = count;
  return new Transform({
    decodeStrings: false,
    transform(chunk: string | Buffer, _enc, done) {
      let text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      while (left > 0 && text.length > 0) {
        const nl = text.indexOf('\n');
        if (nl < 0) return done();
        text = text.slice(nl + 1);
        left--;
      }
      done(null, text);
    },
  });
}

function describeCsvError(err: Error & { code?: string }): string {
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'unclosed quote: a quoted field opened on this line never closes (the record is skipped; reading goes on at the next line)';
    case 'CSV_MAX_RECORD_SIZE':
      return 'record too large (more than source max_record_chars); skipped without loading it';
    default:
      return err.message;
  }
}
