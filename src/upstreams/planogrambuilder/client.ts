/**
 * koppel's PlanogramBuilder client: one gRPC channel and one API session per process, every call through the
 * upstream gateway (rate limit + the one retry policy), a deadline on every call, every response validated and
 * its `error` field turned into a typed error (an item write's echo of the item, which nothing reads, is not decoded).
 */
import { createHash } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import type { z } from 'zod';
import type { Logger } from 'pino';
import { PermanentError } from '../../core/errors.js';
import type { UpstreamGateway } from '../../core/upstream-gateway.js';
import type { PlanogrambuilderConfig } from './config.js';
import { grpcError, planoError } from './errors.js';
import { MAX_FILE_BYTES } from './limits.js';
import { decodedPage, type EncodedPage, itemPage, type ListedPage, type SplitResponse, splitRepeated, unexpectedResponse } from './list-page.js';
import { type AnyItem, type ItemByKind, type ItemKind, ITEM_KINDS, itemMethod, listMethod, type MethodName, RESPONSES, type Requests, type ResponseOf } from './wire.js';

export interface PlanoCallOptions {
  signal?: AbortSignal | undefined;
  /** Names the item in errors and logs. */
  itemKey?: string | undefined;
}

/** What `list` yields: items of a kind, or file names. */
export type Listed<K extends ItemKind | 'file'> = K extends ItemKind ? ItemByKind[K] : string;
/** What `listPages` passes on: items of a kind still encoded (list-page.ts), or file names. */
export type PageOf<K extends ItemKind | 'file'> = K extends ItemKind ? EncodedPage<ItemByKind[K]> : ListedPage<string>;

interface Session {
  token: string;
  signedInAt: number;
}

/** The channel, and what a call needs from grpc-js besides it. */
interface Transport {
  readonly channel: grpc.Client;
  readonly service: grpc.ServiceDefinition;
  readonly Metadata: typeof grpc.Metadata;
}

export class PlanogramBuilderClient {
  readonly #cfg: PlanogrambuilderConfig;
  readonly #gateway: UpstreamGateway;
  readonly #log: Logger;
  /**
   * Opened by the first connect or call, not by the constructor, so grpc-js and the .proto are loaded only by a
   * process that talks to PlanogramBuilder. Once opened, the one channel of this client; unset again if opening failed.
   */
  #transport: Promise<Transport> | undefined;
  /** The transport once `#transport` has resolved: a call then reaches it without an await of its own. */
  #opened: Transport | undefined;
  /** The one live token of this process; signing in again revokes the previous one at the service. */
  #session: Session | null = null;
  /** A sign-in in progress, shared by every caller that needs a token meanwhile (never two at once). */
  #signingIn: Promise<void> | null = null;
  /** Runs holding the session (see `connect`); SignOut when the last one releases it. */
  #holders = 0;
  /** Per method, the response field `#call` splits out undecoded (List: the items; Create/Update: the item). */
  readonly #responseFields = new Map<MethodName, number>();

  constructor(cfg: PlanogrambuilderConfig, gateway: UpstreamGateway, log: Logger) {
    this.#cfg = cfg;
    this.#gateway = gateway;
    this.#log = log;
  }

  /**
   * Signs in for a run (or joins the session another run holds). The returned function releases it; the last
   * release signs out, so a run ends with SignOut while a concurrent run keeps its token.
   */
  async connect(signal?: AbortSignal): Promise<() => Promise<void>> {
    this.#holders++;
    try {
      await this.#ensureSession(signal);
    } catch (err) {
      this.#holders--;
      throw err;
    }
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      if (--this.#holders === 0) await this.#signOut();
    };
  }

  /** Calls one API method with the session's token; a non-OK `error` is thrown as a typed error. */
  async call<M extends MethodName>(method: M, request: Requests[M], options: PlanoCallOptions = {}): Promise<ResponseOf<M>> {
    if (method === 'UploadFile') {
      const size = (request as Requests['UploadFile']).data.byteLength;
      if (size > MAX_FILE_BYTES) throw new PermanentError(`UploadFile: ${size} bytes is more than 5 MiB`, { upstream: 'planogrambuilder', op: method, itemKey: options.itemKey });
    }
    return (await this.#call(method, request, options)).body;
  }

  /** `call`, optionally with the response's field number `split` left undecoded (list-page.ts): a List's items, a write's item. */
  #call<M extends MethodName>(method: M, request: Requests[M], options: PlanoCallOptions, split?: number): Promise<Invoked<M>> {
    // Not an async function: a call with a fresh session goes straight to the gateway, without a promise of its own.
    if (!this.#sessionFresh()) return this.#ensureSession(options.signal).then(() => this.#send(method, request, options, split));
    return this.#send(method, request, options, split);
  }

  /** `#call` once the session is there: one gateway call, its attempts sent with the token current at the time. */
  #send<M extends MethodName>(method: M, request: Requests[M], options: PlanoCallOptions, split?: number): Promise<Invoked<M>> {
    let used = '';
    return this.#gateway.call(
      method,
      (signal) => {
        // Read at attempt time: a reconnect between attempts replaced it.
        used = this.#session?.token ?? '';
        return this.#invoke(method, { ...request, access_token: used }, signal, options.itemKey, split);
      },
      { signal: options.signal, reconnect: () => this.#renew(used, options.signal) },
    );
  }

  /** Every item of a kind (or every file name), read with List in pages of `page_size`. */
  async *list<K extends ItemKind | 'file'>(kind: K, options: PlanoCallOptions = {}): AsyncGenerator<Listed<K>> {
    for await (const page of this.listPages(kind, (p) => Array.from({ length: p.length }, (_, i) => p.item(i) as Listed<K>), options)) yield* page;
  }

  /**
   * `list` a page at a time, each page passed through `project` as it arrives. Items are decoded one by one as
   * `project` reads them (list-page.ts): a caller that keeps less than the items (a hash, a name) lets each
   * decoded item die young instead of holding the page, whole, in the read-ahead.
   */
  async *listPages<K extends ItemKind | 'file', T>(kind: K, project: (page: PageOf<K>) => T, options: PlanoCallOptions = {}): AsyncGenerator<T> {
    const method = kind === 'file' ? 'ListFiles' : listMethod(kind as ItemKind);
    // Ask for the count first: the guide allows end_ind only up to total_size.
    let total = (await this.call(method, { start_ind: 0, end_ind: 0 }, options) as { total_size: number }).total_size;
    const fetchPage = (request: { start_ind: number; end_ind: number }): Promise<{ page: PageOf<K>; total: number }> => {
      if (kind === 'file') return this.call('ListFiles', request, options).then((p) => ({ page: decodedPage(p.filenames) as PageOf<K>, total: p.total_size }));
      return this.#listItems(kind as ItemKind, method, request, options) as Promise<{ page: PageOf<K>; total: number }>;
    };
    // Pages are fetched ahead (as many as the rate limit lets run at once) and yielded in order: a long
    // listing costs its slowest pages, not the sum of all round trips. At most `lookahead` pages are in memory.
    const lookahead = Math.max(1, Math.min(this.#cfg.rate.concurrency, 8));
    const inFlight: Promise<{ projected: T; total: number }>[] = [];
    let next = 0;
    const fetchMore = () => {
      while (next < total && inFlight.length < lookahead) {
        const request = { start_ind: next, end_ind: Math.min(next + this.#cfg.page_size, total) };
        const page = fetchPage(request).then((p) => ({ projected: project(p.page), total: p.total }));
        page.catch(() => undefined); // awaited in order below; this only keeps a later page's failure from being "unhandled"
        inFlight.push(page);
        next = Math.min(next + this.#cfg.page_size, total);
      }
    };
    fetchMore();
    while (inFlight.length > 0) {
      const page = await inFlight.shift()!;
      yield page.projected;
      total = Math.max(total, page.total); // items added while listing are listed too
      fetchMore();
    }
  }

  /** One List call of an item kind, its items left encoded until read (list-page.ts). */
  async #listItems(kind: ItemKind, method: MethodName, request: { start_ind: number; end_ind: number }, options: PlanoCallOptions): Promise<{ page: EncodedPage<AnyItem>; total: number }> {
    const { listField, schema } = ITEM_KINDS[kind];
    const { service } = await this.#openTransport();
    const def = service[method]!;
    const { body, split } = await this.#call(method, request as Requests[typeof method], options, this.#responseField(service, method, listField));
    const page = itemPage(split!, listField, schema as unknown as z.ZodType<AnyItem>, (bytes) => def.responseDeserialize(bytes), method);
    return { page, total: (body as { total_size: number }).total_size };
  }

  /**
   * Creates or updates one item. The service answers with the item as it stored it, which no caller reads: that
   * copy is left in its wire bytes (split out like a List page's items), and only the answer's `error` is decoded
   * and checked, so a write costs no item decode and no item copy through zod. Resolves once the service has it.
   */
  writeItem<K extends ItemKind>(kind: K, verb: 'Create' | 'Update', item: ItemByKind[K], options: PlanoCallOptions = {}): Promise<unknown> {
    const opened = this.#opened;
    if (opened === undefined) return this.#openTransport().then(() => this.writeItem(kind, verb, item, options));
    // Not an async function (one promise less per write); a throw still reaches the caller as a rejection.
    try {
      const { field } = ITEM_KINDS[kind];
      const method = itemMethod(kind, verb);
      return this.#call(method, { [field]: item } as unknown as Requests[typeof method], options, this.#responseField(opened.service, method, field));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** The number of the field `name` in `method`'s response message, read from the .proto as loaded (once per method). */
  #responseField(service: grpc.ServiceDefinition, method: MethodName, name: string): number {
    let number = this.#responseFields.get(method);
    if (number === undefined) {
      // proto-loader keeps each method's response descriptor beside its (de)serializers.
      const responseType = (service[method] as { responseType?: { type?: { field?: { name: string; number: number }[] } } }).responseType;
      number = responseType?.type?.field?.find((f) => f.name === name)?.number;
      if (number === undefined) throw new PermanentError(`${method}: the .proto's response has no field ${name}`, { upstream: 'planogrambuilder', op: method });
      this.#responseFields.set(method, number);
    }
    return number;
  }

  /**
   * A digest of the service definition as loaded (the descriptors of every file of the .proto): while it stays
   * the same, equal bytes of a listing decode to equal items. Undefined when the loader gave no descriptors.
   */
  async definitionDigest(): Promise<string | undefined> {
    const { service } = await this.#openTransport();
    // proto-loader keeps the loaded files' descriptors beside each method, the same list for every method.
    const files = (service.SignIn as { responseType?: { fileDescriptorProtos?: Uint8Array[] } } | undefined)?.responseType?.fileDescriptorProtos;
    if (!files?.length) return undefined;
    const digest = createHash('sha256');
    for (const file of files) digest.update(String(file.byteLength)).update(file);
    return digest.digest('hex');
  }

  /** Signs out (whoever still holds the session) and closes the channel. */
  async close(): Promise<void> {
    this.#holders = 0;
    await this.#signOut();
    const transport = await this.#transport?.catch(() => undefined);
    transport?.channel.close();
  }

  /** The channel, opened once: loads grpc-js and the service definition (a bad .proto is a ConfigError here). */
  #openTransport(): Promise<Transport> {
    this.#transport ??= (async () => {
      const [grpcJs, { loadPlanoService, MAX_MESSAGE_BYTES }] = await Promise.all([import('@grpc/grpc-js'), import('./proto.js')]);
      const service = loadPlanoService(this.#cfg);
      const credentials = this.#cfg.tls ? grpcJs.credentials.createSsl() : grpcJs.credentials.createInsecure();
      const channel = new grpcJs.Client(this.#cfg.endpoint, credentials, {
        'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
        'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      });
      this.#opened = { channel, service, Metadata: grpcJs.Metadata };
      return this.#opened;
    })().catch((err: unknown) => {
      // Not kept: the next connect tries again (say, after the .proto was fixed), as a new client would.
      this.#transport = undefined;
      throw err;
    });
    return this.#transport;
  }

  async #ensureSession(signal?: AbortSignal): Promise<void> {
    await this.#openTransport();
    if (this.#sessionFresh()) return;
    await this.#renew(this.#session?.token ?? '', signal);
  }

  /** The channel is open and the token young enough to use as it is. */
  #sessionFresh(): boolean {
    const s = this.#session;
    return this.#opened !== undefined && s !== null && Date.now() - s.signedInAt < this.#cfg.token_renew_after_ms;
  }

  /** Signs in again unless someone already replaced the token `stale` (concurrent calls share one sign-in). */
  async #renew(stale: string, signal?: AbortSignal): Promise<void> {
    if (this.#signingIn) return this.#signingIn;
    if (this.#session && this.#session.token !== stale) return;
    this.#signingIn = (async () => {
      const { account_id, username, password } = this.#cfg;
      const { body: res } = await this.#gateway.call('SignIn', (sig) => this.#invoke('SignIn', { account_id, username, password }, sig), { signal });
      this.#session = { token: res.access_token, signedInAt: Date.now() };
      this.#log.info({ account_id, username }, stale ? 'signed in again' : 'signed in');
    })().finally(() => (this.#signingIn = null));
    return this.#signingIn;
  }

  async #signOut(): Promise<void> {
    const session = this.#session;
    if (!session) return;
    this.#session = null;
    try {
      await this.#gateway.call('SignOut', (sig) => this.#invoke('SignOut', { access_token: session.token }, sig));
      this.#log.info('signed out');
    } catch (err) {
      // The token dies by itself within the hour; a failed SignOut must not fail the run.
      this.#log.warn({ err }, 'sign out failed');
    }
  }

  /**
   * One attempt: unary call with a deadline, cancelled by `signal`, response validated and its error translated.
   * With `split`, that field's entries are left encoded (`split` in the result) and the rest validated.
   */
  #invoke<M extends MethodName>(method: M, request: object, signal: AbortSignal | undefined, itemKey?: string, split?: number): Promise<Invoked<M>> {
    const opened = this.#opened;
    if (opened === undefined) return this.#openTransport().then(() => this.#invoke(method, request, signal, itemKey, split));
    const { channel, service, Metadata } = opened;
    const def = service[method]!;
    const deserialize = (bytes: Buffer): { value: unknown; split: SplitResponse | undefined } => {
      if (split === undefined) return { value: def.responseDeserialize(bytes), split: undefined };
      const parts = splitRepeated(bytes, split);
      return { value: def.responseDeserialize(parts.rest), split: parts };
    };
    return new Promise<Invoked<M>>((resolve, reject) => {
      const onAbort = (): void => call.cancel();
      const call = channel.makeUnaryRequest(
        def.path,
        def.requestSerialize,
        deserialize,
        request,
        new Metadata(),
        { deadline: Date.now() + this.#cfg.timeout_ms },
        (err, response) => {
          signal?.removeEventListener('abort', onAbort);
          if (err) return reject(grpcError(method, err, itemKey));
          const parsed = RESPONSES[method].safeParse(response!.value);
          if (!parsed.success) return reject(unexpectedResponse(method, parsed.error, [], itemKey));
          const body = parsed.data as ResponseOf<M>;
          if (body.error.code !== 'PAE_OK') return reject(planoError(method, body.error, itemKey));
          resolve({ body, split: response!.split });
        },
      );
      if (signal?.aborted) call.cancel();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** A validated response, and the entries of a split-out repeated field (list-page.ts). */
interface Invoked<M extends MethodName> {
  body: ResponseOf<M>;
  split: SplitResponse | undefined;
}
