/**
 * Splits decoded CSV text into records (RFC 4180: `"` quotes a field, `""` is a quote inside one, LF or CRLF ends
 * a record, empty lines are skipped), fed a chunk at a time, with the physical line where each record starts.
 *
 * Why not csv-parse: a stray quote there swallows text until the record size cap, and resuming meant replaying
 * the file from byte 0. Here an open quoted field is bounded by lines as well as characters, and a broken record
 * (unclosed or badly closed quote, too many lines or characters) is reported on its first line, then reading
 * resumes at the physical line after the one where the offending quote opened. The text from that line on is
 * still held (it is part of the record, so at most `maxChars` of it): it is scanned again from memory, never
 * read again from the file, so recovery costs O(file), not O(restarts × file).
 */

/** A record's fields, or why it could not be read; `line` is the physical line where it starts. */
export type SplitRecord = { line: number; fields: string[]; error?: undefined } | { line: number; fields?: undefined; error: string };

export interface SplitLimits {
  /** One character. */
  delimiter: string;
  /** Longest record, in characters. */
  maxChars: number;
  /** Most physical lines one quoted field may span. */
  maxLines: number;
}

const LF = 10;
const CR = 13;
const QUOTE = 34;

const enum State {
  /** At the start of a field (of a record when `#recordLine` is 0). */
  FieldStart,
  Unquoted,
  Quoted,
  /** Just after a quote inside a quoted field: `""`, the field's end, or a bad quote. */
  QuoteSeen,
  /** A closing quote and a CR: only LF (or the end) may follow. */
  QuoteCr,
  /** Discarding the rest of the physical line of a broken record. */
  SkipLine,
}

export class CsvRecordSplitter {
  readonly #delimiter: number;
  readonly #limits: SplitLimits;
  /** Characters examined, rescans included: what recovery costs (tests hold it to about the file's length). */
  scanned = 0;

  /** Physical line of the next character. */
  #line = 1;
  #state = State.FieldStart;
  /** Line where the current record starts; 0 between records. */
  #recordLine = 0;
  #recordChars = 0;
  #fields: string[] = [];
  /** The current field's text from earlier chunks (the rest is sliced from the chunk in hand). */
  #field = '';
  #fieldQuoted = false;
  /** Line where the open quoted field's quote is. */
  #quoteLine = 0;
  /**
   * Set once the open quoted field crossed a line break: `#held` (earlier chunks) plus the chunk in hand from
   * `#holdFrom` is the text from the line after `#quoteLine` on, the place a broken record resumes.
   */
  #holding = false;
  #held: string[] = [];
  #holdFrom = 0;
  #first = true;
  #out: SplitRecord[] = [];

  constructor(limits: SplitLimits) {
    this.#limits = limits;
    this.#delimiter = limits.delimiter.charCodeAt(0);
  }

  /** Takes the next chunk of text; returns the records it completed, in file order. */
  push(chunk: string): SplitRecord[] {
    if (this.#first && chunk.length > 0) {
      this.#first = false;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    this.#scan(chunk);
    return this.#take();
  }

  /** The end of the text: completes (or reports) the last record. */
  end(): SplitRecord[] {
    for (;;) {
      switch (this.#state) {
        case State.Quoted: {
          const resume = this.#holding ? this.#quoteLine + 1 : undefined;
          this.#broken(`unclosed quote: the quoted field opened on line ${this.#quoteLine} never closes${resumeNote(resume)}`);
          if (resume === undefined) return this.#take();
          // What followed the quote's line is read again, as records of its own.
          this.#scan(this.#replay(''));
          continue;
        }
        case State.Unquoted:
          this.#endField(this.#field.charCodeAt(this.#field.length - 1) === CR ? this.#field.slice(0, -1) : this.#field, true);
          break;
        case State.QuoteSeen:
        case State.QuoteCr:
          this.#endField(this.#field, true);
          break;
        case State.FieldStart:
          if (this.#recordLine !== 0) this.#endField('', true);
          break;
        case State.SkipLine:
          break;
      }
      return this.#take();
    }
  }

  #take(): SplitRecord[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }

  #scan(text: string): void {
    const delimiter = this.#delimiter;
    const { maxChars, maxLines } = this.#limits;
    let t = text;
    let n = t.length;
    let i = 0;
    this.#holdFrom = 0;
    while (i < n) {
      const state = this.#state;
      if (state === State.FieldStart) {
        if (this.#recordLine === 0) {
          this.#recordLine = this.#line;
          this.#recordChars = 0;
        }
        if (t.charCodeAt(i) === QUOTE) {
          this.#state = State.Quoted;
          this.#fieldQuoted = true;
          this.#quoteLine = this.#line;
          this.#holding = false;
          this.#dropHeld();
          this.#recordChars++;
          this.scanned++;
          i++;
        } else {
          this.#state = State.Unquoted;
          this.#fieldQuoted = false;
        }
        continue;
      }
      if (state === State.Unquoted) {
        let j = i;
        let c = 0;
        while (j < n) {
          c = t.charCodeAt(j);
          if (c === delimiter || c === LF) break;
          j++;
        }
        this.scanned += j - i + (j < n ? 1 : 0);
        this.#recordChars += j - i;
        if (this.#recordChars > maxChars) {
          this.#tooLarge(undefined);
          i = j;
          continue;
        }
        const value = this.#field + t.slice(i, j);
        this.#field = '';
        if (j === n) {
          this.#field = value;
          i = n;
        } else if (c === delimiter) {
          this.#recordChars++;
          this.#endField(value, false);
          i = j + 1;
        } else {
          this.#endField(value.charCodeAt(value.length - 1) === CR ? value.slice(0, -1) : value, true);
          i = j + 1;
        }
        continue;
      }
      if (state === State.Quoted) {
        let j = i;
        let breakOff: 'lines' | undefined;
        while (j < n) {
          const c = t.charCodeAt(j);
          if (c === QUOTE) break;
          if (c === LF) {
            this.#line++;
            if (!this.#holding) {
              this.#holding = true;
              this.#holdFrom = j + 1;
            }
            if (this.#line - this.#quoteLine >= maxLines) {
              breakOff = 'lines';
              break;
            }
          }
          j++;
        }
        this.scanned += j - i + (j < n ? 1 : 0);
        this.#recordChars += j - i;
        if (breakOff) {
          const resume = this.#quoteLine + 1;
          this.#broken(`unclosed quote: the quoted field opened on line ${this.#quoteLine} is still open ${maxLines} lines later (more than max_record_lines)${resumeNote(resume)}`);
          t = this.#replay(t);
          n = t.length;
          i = 0;
          continue;
        }
        if (this.#recordChars > maxChars) {
          if (this.#holding) {
            this.#broken(`${tooLargeReason(maxChars)}; a quoted field opened on line ${this.#quoteLine} is still open${resumeNote(this.#quoteLine + 1)}`);
            t = this.#replay(t);
            n = t.length;
            i = 0;
          } else {
            this.#tooLarge(this.#quoteLine);
            i = j;
          }
          continue;
        }
        this.#field += t.slice(i, j);
        if (j < n) {
          this.#state = State.QuoteSeen;
          this.#recordChars++;
        }
        i = j < n ? j + 1 : n;
        continue;
      }
      if (state === State.QuoteSeen || state === State.QuoteCr) {
        const c = t.charCodeAt(i);
        this.scanned++;
        if (state === State.QuoteSeen && c === QUOTE) {
          this.#field += '"';
          this.#recordChars++;
          this.#state = State.Quoted;
          i++;
        } else if (state === State.QuoteSeen && c === delimiter) {
          this.#recordChars++;
          this.#endField(this.#field, false);
          this.#field = '';
          i++;
        } else if (c === LF) {
          this.#endField(this.#field, true);
          this.#field = '';
          i++;
        } else if (state === State.QuoteSeen && c === CR) {
          this.#state = State.QuoteCr;
          i++;
        } else {
          // Text after a closing quote: this quote was not meant to close the field (or never was a field's quote).
          const resume = this.#holding ? this.#quoteLine + 1 : undefined;
          this.#broken(`bad quote: the quoted field opened on line ${this.#quoteLine} ends at a quote on line ${this.#line} that other text follows (a quote inside a quoted field is written "")${resumeNote(resume)}`);
          if (resume !== undefined) {
            t = this.#replay(t);
            n = t.length;
            i = 0;
          } else this.#state = State.SkipLine;
        }
        continue;
      }
      // SkipLine: the rest of a broken record's line goes unread.
      const lf = t.indexOf('\n', i);
      this.scanned += (lf < 0 ? n : lf + 1) - i;
      if (lf < 0) i = n;
      else {
        this.#line++;
        this.#state = State.FieldStart;
        i = lf + 1;
      }
    }
    if (this.#holding) {
      this.#held.push(this.#holdFrom === 0 ? t : t.slice(this.#holdFrom));
      this.#holdFrom = 0;
    }
  }

  /** Ends the current field, and the record too at a line break (`endOfRecord`). */
  #endField(value: string, endOfRecord: boolean): void {
    this.#fields.push(value);
    this.#field = '';
    this.#state = State.FieldStart;
    this.#holding = false;
    this.#dropHeld();
    if (!endOfRecord) return;
    const fields = this.#fields;
    // A line with nothing on it is no record (a quoted empty field is one).
    if (!(fields.length === 1 && fields[0] === '' && !this.#fieldQuoted)) this.#out.push({ line: this.#recordLine, fields });
    this.#fields = [];
    this.#recordLine = 0;
    this.#line++;
  }

  /** Forgets the held text; a field that held none (nearly all) gets no new empty array. */
  #dropHeld(): void {
    if (this.#held.length > 0) this.#held = [];
  }

  /** Reports the current record as broken and forgets it. */
  #broken(error: string): void {
    this.#out.push({ line: this.#recordLine, error });
    this.#fields = [];
    this.#field = '';
    this.#recordLine = 0;
    this.#state = State.FieldStart;
  }

  /** A record over `maxChars` with no held text to resume from: the rest of its current line is skipped. */
  #tooLarge(quoteLine: number | undefined): void {
    const note = quoteLine === undefined ? '; reading goes on at the next line' : `; a quoted field opened on line ${quoteLine} is still open${resumeNote(quoteLine + 1)}`;
    this.#broken(`${tooLargeReason(this.#limits.maxChars)}${note}`);
    this.#holding = false;
    this.#held = [];
    this.#state = State.SkipLine;
  }

  /**
   * The text to read on from after a broken quoted field: from the line after the quote's line (held), through
   * the rest of the chunk in hand. The line count goes back to that line.
   */
  #replay(t: string): string {
    const replay = this.#held.join('') + (t.length ? t.slice(this.#holdFrom) : '');
    this.#line = this.#quoteLine + 1;
    this.#holding = false;
    this.#held = [];
    this.#holdFrom = 0;
    this.#state = State.FieldStart;
    return replay;
  }
}

function tooLargeReason(maxChars: number): string {
  return `record too large (more than max_record_chars, ${maxChars} characters); skipped without loading it`;
}

function resumeNote(line: number | undefined): string {
  return line === undefined ? '; the record is skipped, reading goes on at the next line' : `; the record is skipped, reading goes on at line ${line}`;
}
