/**
 * Tells whether a configured SQL query is exactly one statement, with Postgres's own lexical rules for the
 * places where `;` does not end a statement: string constants ('…', E'…' with backslash escapes), quoted
 * identifiers ("…"), dollar-quoted bodies ($$…$$, $tag$…$tag$), line comments (--) and nested block comments.
 * This is the early, readable check at config time; the extended protocol (see source.ts) is the guarantee.
 */

export type SingleStatement = { ok: true; statement: string } | { ok: false; reason: string };

/** The query without a single trailing `;` (and what follows it), or why it is not exactly one statement. */
export function singleStatement(query: string): SingleStatement {
  const ends: number[] = []; // offsets of top-level `;`
  let i = 0;
  const n = query.length;
  while (i < n) {
    const c = query[i]!;
    const next = query[i + 1];
    if (c === '-' && next === '-') {
      const eol = query.indexOf('\n', i);
      i = eol === -1 ? n : eol + 1;
    } else if (c === '/' && next === '*') {
      i = skipBlockComment(query, i);
    } else if (c === "'") {
      // E'…' allows backslash escapes; a standard string only doubles the quote.
      const escaped = i > 0 && /[eE]/.test(query[i - 1]!) && (i < 2 || !/[\w$]/.test(query[i - 2]!));
      i = skipQuoted(query, i, "'", escaped);
    } else if (c === '"') {
      i = skipQuoted(query, i, '"', false);
    } else if (c === '$' && !(i > 0 && /[\w$]/.test(query[i - 1]!))) {
      const tag = /^\$(?:[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/.exec(query.slice(i, i + 64));
      if (tag) {
        const close = query.indexOf(tag[0], i + tag[0].length);
        if (close === -1) return { ok: false, reason: `unterminated dollar-quoted string ${tag[0]}` };
        i = close + tag[0].length;
      } else i++;
    } else {
      if (c === ';') ends.push(i);
      i++;
    }
    if (i < 0) return { ok: false, reason: 'unterminated quoted string or comment' };
  }
  // Statements are the stretches between top-level `;` that hold more than whitespace and comments.
  const bounds = [-1, ...ends, n];
  const statements: { from: number; to: number }[] = [];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const from = bounds[k]! + 1;
    const to = bounds[k + 1]!;
    if (!isBlank(query.slice(from, to))) statements.push({ from, to });
  }
  if (statements.length === 0) return { ok: false, reason: 'expected a SELECT, found no statement' };
  if (statements.length > 1) {
    return { ok: false, reason: `expected exactly one SQL statement, found ${statements.length} (the first ends with the ";" at offset ${ends[0]})` };
  }
  const only = statements[0]!;
  return { ok: true, statement: query.slice(0, only.to) };
}

/** Index after the matching `*\/`; block comments nest in Postgres. -1 when unterminated. */
function skipBlockComment(text: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < text.length) {
    if (text.startsWith('/*', i)) {
      depth++;
      i += 2;
    } else if (text.startsWith('*/', i)) {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else i++;
  }
  return -1;
}

/** Index after the closing quote; a doubled quote is part of the text. -1 when unterminated. */
function skipQuoted(text: string, start: number, quote: string, backslashEscapes: boolean): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text[i];
    if (backslashEscapes && c === '\\') i += 2;
    else if (c === quote) {
      if (text[i + 1] === quote) i += 2;
      else return i + 1;
    } else i++;
  }
  return -1;
}

/** Only whitespace and comments. */
function isBlank(text: string): boolean {
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i]!)) i++;
    else if (text.startsWith('--', i)) {
      const eol = text.indexOf('\n', i);
      i = eol === -1 ? text.length : eol + 1;
    } else if (text.startsWith('/*', i)) {
      i = skipBlockComment(text, i);
      if (i < 0) return false;
    } else return false;
  }
  return true;
}
