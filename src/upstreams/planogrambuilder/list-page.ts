/**
 * A List page of items as it arrives, its items still in their wire bytes: each is decoded and checked (zod) only
 * when read, so a caller that keeps less than the item (a hash) lets every decoded item die at once. Decoding
 * the whole page first kept ~1,000 items and their zod copies alive across several young-generation
 * collections, which promoted them and let the old generation grow by the listing's length (figures:
 * bench/REPORT.md, planogram-catalog).
 */
import { z } from 'zod';
import { PermanentError } from '../../core/errors.js';
import type { ItemByKind, ItemKind } from './wire.js';

/** Wire types of the protobuf encoding (groups, 3 and 4, are not used by proto3). */
const Wire = { VARINT: 0, I64: 1, LEN: 2, I32: 5 } as const;

/** The page's items as byte ranges (tag included) of the response; everything else in `rest`. */
export interface SplitResponse {
  bytes: Uint8Array;
  starts: number[];
  ends: number[];
  /** The response's other fields (total_size, error) as a message of their own. */
  rest: Buffer;
}

/** Splits a response message into the entries of its repeated field `field` and the rest, without decoding either. */
export function splitRepeated(bytes: Uint8Array, field: number): SplitResponse {
  const starts: number[] = [];
  const ends: number[] = [];
  const rest: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    const start = at;
    const [tag, afterTag] = varint(bytes, at);
    at = afterTag;
    switch (tag & 7) {
      case Wire.VARINT:
        at = varint(bytes, at)[1];
        break;
      case Wire.I64:
        at += 8;
        break;
      case Wire.I32:
        at += 4;
        break;
      case Wire.LEN: {
        const [length, afterLength] = varint(bytes, at);
        at = afterLength + length;
        break;
      }
      default:
        throw new Error(`unsupported protobuf wire type ${tag & 7}`);
    }
    if (at > bytes.length) throw new Error('truncated protobuf message');
    if (tag >>> 3 === field) {
      starts.push(start);
      ends.push(at);
    } else rest.push(bytes.subarray(start, at));
  }
  // The other fields are mostly adjacent (a write's answer: its error only): one view then, no copy.
  const only = rest.length === 1 ? rest[0]! : undefined;
  return { bytes, starts, ends, rest: only ? Buffer.from(only.buffer, only.byteOffset, only.byteLength) : Buffer.concat(rest) };
}

/** A varint at `at`: its value (up to 2^53) and where the next field starts. */
function varint(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (;;) {
    if (at >= bytes.length) throw new Error('truncated protobuf varint');
    const b = bytes[at++]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return [value, at];
    scale *= 128;
  }
}

/** A page of listed items; `item(i)` decodes and checks the i-th. */
export interface ListedPage<T> {
  readonly length: number;
  item(i: number): T;
}

/** A page of items still in their wire bytes: `encoded()` gives those bytes, in order, without decoding any. */
export interface EncodedPage<T> extends ListedPage<T> {
  /** The items' entries as received (tag and length included), adjacent entries as one view. */
  encoded(): Uint8Array[];
}

/**
 * The items of a split List response of `kind`. `decode` is the response's own deserializer: the bytes of one
 * entry are a response holding just that item, so each item decodes exactly as it would within the page.
 */
export function itemPage<K extends ItemKind>(split: SplitResponse, listField: string, schema: z.ZodType<ItemByKind[K]>, decode: (bytes: Buffer) => unknown, method: string): EncodedPage<ItemByKind[K]> {
  const { bytes, starts, ends } = split;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    length: starts.length,
    item(i) {
      const one = decode(buffer.subarray(starts[i]!, ends[i]!)) as Record<string, unknown[]>;
      const parsed = schema.safeParse(one[listField]![0]);
      if (!parsed.success) throw unexpectedResponse(method, parsed.error, [listField, i]);
      return parsed.data;
    },
    encoded() {
      const runs: Uint8Array[] = [];
      for (let i = 0; i < starts.length; ) {
        let j = i;
        while (j + 1 < starts.length && starts[j + 1] === ends[j]) j++;
        runs.push(bytes.subarray(starts[i]!, ends[j]!));
        i = j + 1;
      }
      return runs;
    },
  };
}

/** A page already decoded whole (file names: nothing to gain from decoding them one by one). */
export function decodedPage<T>(items: T[]): ListedPage<T> {
  return { length: items.length, item: (i) => items[i]! };
}

/** The error for a response that does not fit the schema: most likely a .proto that differs from the service's. */
export function unexpectedResponse(method: string, error: z.ZodError, prefix: (string | number)[] = [], itemKey?: string): PermanentError {
  const issue = error.issues[0];
  const path = [...prefix, ...(issue?.path ?? [])].map(String).join('.');
  return new PermanentError(`${method}: unexpected response (${path}: ${issue?.message}); does the .proto match the service?`, {
    upstream: 'planogrambuilder',
    op: method,
    itemKey,
  });
}
