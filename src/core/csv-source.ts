import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type Iconv from 'iconv-lite';
import { z } from 'zod';
import { CsvRecordSplitter, type SplitRecord } from './csv-records.js';
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
    /**
     * Most physical lines one quoted field may span (line breaks inside a quoted description). A quote still open
     * after that many lines is taken for a stray quote: its record is rejected and reading goes on at the line
     * after the quote's. @default 1000
     */
    max_record_lines: z.number().int().min(1).max(1_000_000).default(1000).describe('most lines one quoted field may span'),
  })
  .strict();

export type CsvOptions = z.output<typeof csvOptionsSchema>;

/** A good record (`values` by header name) or a bad one (`error`), with the line where it starts. */
export type CsvRow =
  | { line: number; values: Record<string, string>; error?: undefined }
  | { line: number; values?: undefined; error: string };

/** A good record's fields in the header's order, or a bad record's `error`, with the line where it starts. */
export type CsvFieldsRow =
  | { line: number; fields: readonly string[]; error?: undefined }
  | { line: number; fields?: undefined; error: string };

/** Records of one chunk of a file as field arrays, with the file's header: no object per record. */
export interface CsvBatch {
  header: readonly string[];
  rows: CsvFieldsRow[];
}

/** Characters handed to the splitter at once: bounds the rows of one yielded batch (see readCsvBatches). */
const BATCH_CHARS = 8 * 1024;

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

async function readHeaderLine(iconv: typeof Iconv, path: string, encoding: string, meter: CsvReadMeter | undefined): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    if (meter) meter.bytesRead += bytesRead;
    // The parser skips blank lines, so the header is the first line with something on it ('' = none at all).
    const text = iconv.decode(buf.subarray(0, bytesRead), encoding).replace(/^\uFEFF/, '');
    return text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  } finally {
    await handle.close();
  }
}

/** What one read cost, for tests and benchmarks: bytes read from disk, characters the splitter examined. */
export interface CsvReadMeter {
  bytesRead: number;
  charsScanned: number;
}

/**
 * Yields every record of the file with its starting line. Bad records (wrong column count, unclosed or stray
 * quote, oversized, undecodable bytes) come out as `{ line, error }` and the stream goes on; memory stays flat.
 * The file is read once: a broken quoted field is re-read from memory, from the line after its quote (see
 * csv-records.ts), so a stray quote costs its own record and nothing after it.
 */
export async function* readCsv(path: string, options: Partial<CsvOptions> = {}, meter?: CsvReadMeter): AsyncGenerator<CsvRow> {
  for await (const { header, rows } of readCsvBatches(path, options, meter)) {
    for (const row of rows) yield row.error === undefined ? { line: row.line, values: keyed(header, row.fields) } : row;
  }
}

/**
 * `readCsv` a decoded chunk of records at a time, each record as its fields: a reader that handles thousands of
 * rows pays one await per chunk instead of one per row (two nested generators cost more than splitting the
 * records), and one that looks columns up by position builds no object per record.
 */
export async function* readCsvBatches(path: string, options: Partial<CsvOptions> = {}, meter?: CsvReadMeter): AsyncGenerator<CsvBatch> {
  // Callers may pass a larger settings object (e.g. a pipeline's source block): take only our keys.
  const opts = csvOptionsSchema.parse({
    delimiter: options.delimiter,
    encoding: options.encoding,
    max_record_chars: options.max_record_chars,
    max_record_lines: options.max_record_lines,
  });
  const encoding = ICONV_NAMES[opts.encoding];
  // Loaded by the first read, not at startup: a process whose pipelines read no CSV never needs it.
  const { default: iconv } = await import('iconv-lite');
  let headerLine: string;
  try {
    headerLine = await readHeaderLine(iconv, path, encoding, meter);
  } catch (err) {
    throw new ConfigError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  // An empty file is a failed or truncated export, not "no rows" (that is a header line alone): say so.
  if (headerLine === '') throw new ConfigError(`${path}: the file is empty (expected a header line)`);
  const delimiter = opts.delimiter === 'auto' ? detectDelimiter(headerLine) : opts.delimiter;
  const splitter = new CsvRecordSplitter({ delimiter, maxChars: opts.max_record_chars, maxLines: opts.max_record_lines });
  const file = createReadStream(path);
  const decoded = file.pipe(iconv.decodeStream(encoding, { stripBOM: true })) as AsyncIterable<string>;
  let header: string[] | undefined;
  const check = (record: SplitRecord): CsvFieldsRow | undefined => {
    const { line } = record;
    if (record.error !== undefined) {
      // Without its header no row of the file means anything.
      if (!header) throw new ConfigError(`${path}: the header (line ${line}) cannot be read: ${record.error}`);
      return { line, error: record.error };
    }
    const fields = record.fields;
    if (!header) {
      header = fields.map((name) => name.trim());
      return undefined;
    }
    if (fields.length !== header.length) return { line, error: `wrong number of columns: the header has ${header.length}, this row ${fields.length}` };
    const bad = opts.encoding === 'utf-8' ? columnContaining(header, fields, '\uFFFD') : undefined;
    if (bad) return { line, error: `column "${bad}" is not valid UTF-8 (if the file is a spreadsheet export, set encoding: windows-1252)` };
    // A NUL never belongs in text: it marks a binary or corrupted file, and Postgres and most APIs refuse it.
    const nul = columnContaining(header, fields, '\u0000');
    if (nul) return { line, error: `column "${nul}" contains a NUL byte (binary or corrupted data)` };
    return record; // already { line, fields }: no second object per row
  };
  const checkAll = (records: SplitRecord[]): CsvFieldsRow[] => {
    const rows: CsvFieldsRow[] = [];
    for (const record of records) {
      const row = check(record);
      if (row) rows.push(row);
    }
    return rows;
  };
  try {
    for await (const text of decoded) {
      // A 64 KiB read is ~1,000 rows: held all at once, most of them outlive a young-generation GC and are copied
      // to the old one. A few KiB at a time, a batch is consumed before the next GC and dies young.
      for (let at = 0; at < text.length; at += BATCH_CHARS) {
        const rows = checkAll(splitter.push(at === 0 && text.length <= BATCH_CHARS ? text : text.slice(at, at + BATCH_CHARS)));
        if (rows.length > 0) yield { header: header!, rows };
      }
    }
    const rows = checkAll(splitter.end());
    if (rows.length > 0) yield { header: header!, rows };
  } finally {
    file.destroy();
    if (meter) {
      meter.bytesRead += file.bytesRead;
      meter.charsScanned += splitter.scanned;
    }
  }
}

/** The record by column name (a repeated name keeps its last value). Every record fills the same names in the same order, so they share one shape. */
function keyed(header: readonly string[], fields: readonly string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (let i = 0; i < header.length; i++) values[header[i]!] = fields[i]!;
  return values;
}

/** The first column whose value contains `text` (undefined when none does). */
function columnContaining(header: string[], fields: string[], text: string): string | undefined {
  const at = fields.findIndex((field) => field.includes(text));
  return at < 0 ? undefined : header[at];
}
