/**
 * An item write's request with the item already encoded: the catalog's reader thread encodes each item's message
 * (`itemBodyEncoder`) and the client frames it with the access token at call time (`encodedItemSerializer`),
 * so the thread that answers the responses spends no time encoding items. Protobuf fields may come in any order;
 * these bytes are the same a whole-object serialise writes (item field first, then the token).
 */
import type * as grpc from '@grpc/grpc-js';
import { PermanentError } from '../../core/errors.js';
import { varint } from './list-page.js';
import { type AnyItem, type ItemKind, ITEM_KINDS, itemMethod, type MethodName } from './wire.js';

/** A write request whose item is its encoded message; the client adds `access_token`. */
export interface EncodedItemRequest {
  body: Uint8Array;
}

type Descriptor = { type?: { field?: { name: string; number: number }[] } };

/** The number of field `name` in `method`'s request or response message, as proto-loader loaded the .proto. */
export function fieldNumber(service: grpc.ServiceDefinition, method: MethodName, side: 'request' | 'response', name: string): number {
  // proto-loader keeps each method's message descriptors beside its (de)serializers.
  const def = service[method] as { requestType?: Descriptor; responseType?: Descriptor };
  const number = (side === 'request' ? def.requestType : def.responseType)?.type?.field?.find((f) => f.name === name)?.number;
  if (number === undefined) throw new PermanentError(`${method}: the .proto's ${side} has no field ${name}`, { upstream: 'planogrambuilder', op: method });
  return number;
}

/** Encodes an item of `kind` as the message its Create request carries (the field's bytes without tag and length). */
export function itemBodyEncoder(service: grpc.ServiceDefinition, kind: ItemKind): (item: AnyItem) => Uint8Array {
  const method = itemMethod(kind, 'Create');
  const { field } = ITEM_KINDS[kind];
  const number = fieldNumber(service, method, 'request', field);
  const serialize = service[method]!.requestSerialize;
  return (item) => {
    // The request with only the item set is exactly that one field: tag, length, message.
    const bytes = serialize({ [field]: item });
    const [tag, afterTag] = varint(bytes, 0);
    const [length, at] = varint(bytes, afterTag);
    if (tag !== ((number << 3) | 2) || length !== bytes.length - at) throw new Error(`${method}: unexpected request encoding`);
    return bytes.subarray(at);
  };
}

/** The serialiser of `method` (an item write) for an `EncodedItemRequest` with its token. */
export function encodedItemSerializer(service: grpc.ServiceDefinition, method: MethodName, field: string): (request: EncodedItemRequest & { access_token: string }) => Buffer {
  const itemTag = (fieldNumber(service, method, 'request', field) << 3) | 2;
  const tokenTag = (fieldNumber(service, method, 'request', 'access_token') << 3) | 2;
  /** The token field's bytes, for the token they were made of (one token per session, so made once per session). */
  let token = '';
  let tokenField = Buffer.alloc(0);
  return ({ body, access_token }) => {
    if (access_token !== token) {
      token = access_token;
      const text = Buffer.from(access_token, 'utf8');
      // proto3 leaves an empty string out.
      tokenField = text.length === 0 ? Buffer.alloc(0) : Buffer.concat([varintBytes(tokenTag), varintBytes(text.length), text]);
    }
    const out = Buffer.allocUnsafe(varintSize(itemTag) + varintSize(body.length) + body.length + tokenField.length);
    let at = writeVarint(out, 0, itemTag);
    at = writeVarint(out, at, body.length);
    out.set(body, at);
    out.set(tokenField, at + body.length);
    return out;
  };
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(out: Uint8Array, at: number, n: number): number {
  while (n >= 0x80) {
    out[at++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  out[at++] = n;
  return at;
}

function varintBytes(n: number): Buffer {
  const out = Buffer.allocUnsafe(varintSize(n));
  writeVarint(out, 0, n);
  return out;
}
