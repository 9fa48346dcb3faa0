/**
 * The in-memory PlanogramBuilder behind the sandbox: accounts, tokens, one database per account, and every
 * method's documented behaviour (error codes, ranges, case-insensitive names, list ranges, staleness).
 * Transport concerns (faults, latency, sockets) live in `server.ts`.
 */
import { randomBytes } from 'node:crypto';
import { defaultItem, resolveDefaults } from '../../src/upstreams/planogrambuilder/defaults.js';
import { filenameProblem, MAX_FILE_BYTES, validateItem } from '../../src/upstreams/planogrambuilder/limits.js';
import {
  ACCESSORY_BEHAVIORS, type AnyItem, BOOLEANS, type ItemKind, ITEM_KINDS, type MethodName, type PlanoErrorCode, PRODUCT_BEHAVIORS,
} from '../../src/upstreams/planogrambuilder/wire.js';

export interface SandboxUser {
  username: string;
  password: string;
  /** Only PlanogramBuilder administrators may use the API. */
  administrator: boolean;
}

export interface SandboxAccount {
  account_id: string;
  /** `expired` (subscription ended) and `light` (PlanogramBuilder Light) are refused with PAE_PERMISSION_DENIED. */
  status: 'active' | 'expired' | 'light';
  users: SandboxUser[];
}

export const DEMO_ACCOUNT: SandboxAccount = {
  account_id: 'demo-account',
  status: 'active',
  users: [
    { username: 'admin', password: 'demo-password', administrator: true },
    { username: 'viewer', password: 'demo-password', administrator: false },
  ],
};

interface StoredItem {
  item: AnyItem;
  /** Sequence number when its thumbnail and 3D model were last generated (Create, Update, Refresh). */
  generatedAt: number;
}

interface StoredFile {
  name: string;
  data: Buffer;
  /** Sequence number of the last upload; an item using a file newer than its generation is stale. */
  version: number;
}

/** One account's database; maps are keyed by lower-cased reference or file name (note [1]: case-insensitive). */
class AccountDatabase {
  readonly items: Record<ItemKind, Map<string, StoredItem>> = { product: new Map(), accessory: new Map(), material: new Map() };
  readonly files = new Map<string, StoredFile>();
  seq = 0;

  imagesOf(item: AnyItem): string[] {
    if ('image1' in item) return item.image1 ? [item.image1] : [];
    return item.images;
  }

  isStale(stored: StoredItem): boolean {
    return this.imagesOf(stored.item).some((name) => (this.files.get(name.toLowerCase())?.version ?? 0) > stored.generatedAt);
  }
}

interface Token {
  account: string;
  username: string;
  issuedAt: number;
}

type Reply = Record<string, unknown>;
type Req = Record<string, unknown>;

const KIND_OF_METHOD = new Map<string, { kind: ItemKind; verb: string }>();
for (const [kind, k] of Object.entries(ITEM_KINDS) as [ItemKind, (typeof ITEM_KINDS)[ItemKind]][]) {
  for (const verb of ['Create', 'Delete', 'Get', 'Refresh', 'Update']) KIND_OF_METHOD.set(`${verb}${k.type}`, { kind, verb });
  KIND_OF_METHOD.set(`List${k.plural}`, { kind, verb: 'List' });
}

const ENUMS: Record<string, readonly string[]> = { enabled: BOOLEANS, collisions: BOOLEANS, tile: BOOLEANS };

export interface SandboxStateOptions {
  accounts?: SandboxAccount[];
  /** Token lifetime (the service revokes tokens 60 minutes after SignIn); shorten it in tests. @default 3600000 */
  tokenTtlMs?: number;
  now?: () => number;
}

export class PlanoSandboxState {
  readonly #accounts: Map<string, SandboxAccount>;
  readonly #databases = new Map<string, AccountDatabase>();
  readonly #tokens = new Map<string, Token>();
  /** The current token of each `account/user`; signing in again revokes the previous one. */
  readonly #userTokens = new Map<string, string>();
  readonly #now: () => number;
  tokenTtlMs: number;
  /** Every access token handed out (revoked ones included), so tests can prove none of them reaches a log. */
  readonly issuedTokens: string[] = [];

  constructor(options: SandboxStateOptions = {}) {
    this.#accounts = new Map((options.accounts ?? [DEMO_ACCOUNT]).map((a) => [a.account_id, a]));
    for (const id of this.#accounts.keys()) this.#databases.set(id, new AccountDatabase());
    this.tokenTtlMs = options.tokenTtlMs ?? 3_600_000;
    this.#now = options.now ?? Date.now;
  }

  /** Answers one request as the service would; never throws for bad input. */
  handle(method: MethodName, req: Req): Reply {
    if (method === 'SignIn') return this.#signIn(req);
    const token = this.#authenticate(String(req.access_token ?? ''));
    if (!token) return fail(method, 'PAE_UNAUTHENTICATED', 'invalid, revoked or expired access token');
    const db = this.#databases.get(token.account)!;
    if (method === 'SignOut') {
      this.#tokens.delete(String(req.access_token));
      this.#userTokens.delete(`${token.account}/${token.username}`);
      return ok(method, {});
    }
    const itemMethod = KIND_OF_METHOD.get(method);
    if (itemMethod) return this.#itemMethod(method, itemMethod.kind, itemMethod.verb, db, req);
    return this.#fileMethod(method, db, req);
  }

  /** Revokes every token (fault injection: the session dies mid-run). */
  revokeTokens(): void {
    this.#tokens.clear();
    this.#userTokens.clear();
  }

  get activeTokens(): number {
    return [...this.#tokens.values()].filter((t) => this.#now() - t.issuedAt < this.tokenTtlMs).length;
  }

  database(account: string): AccountDatabase {
    const db = this.#databases.get(account);
    if (!db) throw new Error(`no sandbox account ${account}`);
    return db;
  }

  #signIn(req: Req): Reply {
    const account = this.#accounts.get(String(req.account_id ?? ''));
    if (!account) return fail('SignIn', 'PAE_NOT_FOUND', `account "${String(req.account_id ?? '')}" does not exist`);
    const user = account.users.find((u) => u.username === req.username && u.password === req.password);
    if (!user) return fail('SignIn', 'PAE_UNAUTHENTICATED', 'invalid user name or password');
    if (!user.administrator) return fail('SignIn', 'PAE_PERMISSION_DENIED', 'the user is not a PlanogramBuilder Administrator');
    if (account.status === 'expired') return fail('SignIn', 'PAE_PERMISSION_DENIED', 'the account is invalid (subscription ended)');
    if (account.status === 'light') return fail('SignIn', 'PAE_PERMISSION_DENIED', 'the API is not available with PlanogramBuilder Light');
    const key = `${account.account_id}/${user.username}`;
    const previous = this.#userTokens.get(key);
    if (previous) this.#tokens.delete(previous);
    // 32 random bytes in unpadded base64url: exactly 43 characters, as the guide documents.
    const token = randomBytes(32).toString('base64url');
    this.issuedTokens.push(token);
    this.#tokens.set(token, { account: account.account_id, username: user.username, issuedAt: this.#now() });
    this.#userTokens.set(key, token);
    return ok('SignIn', { access_token: token });
  }

  #authenticate(token: string): Token | undefined {
    const t = this.#tokens.get(token);
    if (!t) return undefined;
    if (this.#now() - t.issuedAt >= this.tokenTtlMs) {
      this.#tokens.delete(token);
      return undefined;
    }
    return t;
  }

  #itemMethod(method: MethodName, kind: ItemKind, verb: string, db: AccountDatabase, req: Req): Reply {
    const k = ITEM_KINDS[kind];
    const items = db.items[kind];
    if (verb === 'List') {
      const range = listRange(req, items.size);
      if (typeof range === 'string') return fail(method, 'PAE_OUT_OF_RANGE', range);
      // Not copied: the page is serialised as soon as it is returned and nothing keeps it (copying 100k items
      // cost as much as encoding them).
      const page = pageOf(items.values(), range).map((s) => s.item);
      return ok(method, { [k.listField]: page, total_size: items.size });
    }
    if (verb === 'Create' || verb === 'Update') {
      const template = req[k.field] as AnyItem | null | undefined;
      if (!template) return fail(method, 'PAE_INVALID_ARGUMENT', `no ${k.field} template in the request`);
      const item = normalise(kind, template);
      const bad = checkItem(kind, item);
      if (bad) return fail(method, bad.code, bad.reason);
      const key = item.reference.toLowerCase();
      const existing = items.get(key);
      if (verb === 'Create' && existing) {
        return fail(method, 'PAE_ALREADY_EXISTS', `a ${k.field} with reference "${existing.item.reference}" already exists`);
      }
      if (verb === 'Update' && !existing) return fail(method, 'PAE_NOT_FOUND', `no ${k.field} with reference "${item.reference}"`);
      // Update replaces every property with the template's; the reference keeps the case it was created with.
      if (existing) item.reference = existing.item.reference;
      items.set(key, { item, generatedAt: ++db.seq });
      // Not copied: a stored item is never changed in place (Update stores a new one), and the answer is
      // serialised as it is returned (a copy per write cost about a third of the state's work).
      return ok(method, { [k.field]: item });
    }
    const reference = String(req.reference ?? '');
    const stored = items.get(reference.toLowerCase());
    if (!stored) return fail(method, 'PAE_NOT_FOUND', `no ${k.field} with reference "${reference}"`);
    if (verb === 'Get') return ok(method, { [k.field]: structuredClone(stored.item) });
    if (verb === 'Delete') items.delete(reference.toLowerCase());
    else stored.generatedAt = ++db.seq; // Refresh: thumbnail and 3D model regenerated from the current images
    return ok(method, {});
  }

  #fileMethod(method: MethodName, db: AccountDatabase, req: Req): Reply {
    if (method === 'ListFiles') {
      const range = listRange(req, db.files.size);
      if (typeof range === 'string') return fail(method, 'PAE_OUT_OF_RANGE', range);
      return ok(method, { filenames: pageOf(db.files.values(), range).map((f) => f.name), total_size: db.files.size });
    }
    const filename = String(req.filename ?? '');
    const problem = filenameProblem(filename);
    if (problem) return fail(method, 'PAE_INVALID_ARGUMENT', `filename ${problem}`);
    const key = filename.toLowerCase();
    const existing = db.files.get(key);
    if (method === 'UploadFile') {
      const data = req.data as Buffer | null | undefined;
      if (!data || data.length === 0) return fail(method, 'PAE_INVALID_ARGUMENT', 'data is null');
      if (data.length > MAX_FILE_BYTES) return fail(method, 'PAE_INVALID_ARGUMENT', `data is ${data.length} bytes, more than 5 MiB`);
      if (existing && req.replace === 'PAB_FALSE') return fail(method, 'PAE_ALREADY_EXISTS', `file "${existing.name}" already exists and replace is PAB_FALSE`);
      db.files.set(key, { name: existing?.name ?? filename, data: Buffer.from(data), version: ++db.seq });
      return ok(method, {});
    }
    if (!existing) return fail(method, 'PAE_NOT_FOUND', `no file named "${filename}"`);
    if (method === 'DownloadFile') return ok(method, { data: existing.data });
    db.files.delete(key);
    return ok(method, {});
  }
}

function ok(method: MethodName, body: Reply): Reply {
  return { ...body, error: { code: 'PAE_OK', message: `${method}: OK` } };
}

function fail(method: MethodName, code: PlanoErrorCode, message: string): Reply {
  return { error: { code, message: `${method}: ${message}`.slice(0, 1000) } };
}

/** `[start_ind, end_ind)` with `end_ind = -1` unbounded; `start_ind` must be below `total_size` unless the range is empty at 0. */
function listRange(req: Req, total: number): [number, number] | string {
  const start = Number(req.start_ind ?? 0);
  const end = Number(req.end_ind ?? 0);
  const stop = end === -1 ? total : end;
  const startOk = start >= 0 && (start <= total - 1 || start === 0);
  if (!startOk || end < -1 || stop > total || start > stop) {
    return `range [${start}, ${end}) is invalid for total_size ${total}`;
  }
  return [start, stop];
}

/** Fills unset fields with documented defaults and drops fields the kind does not have. */
function normalise(kind: ItemKind, template: AnyItem): AnyItem {
  const base = defaultItem(kind) as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of Object.keys(base)) {
    const value = (template as unknown as Record<string, unknown>)[field];
    out[field] = value === undefined || value === null ? base[field] : copyValue(value);
  }
  return resolveDefaults(out) as unknown as AnyItem;
}

/** A copy of a decoded field (strings, numbers, lists, a classification), like structuredClone but much cheaper. */
function copyValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyValue);
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = copyValue((value as Record<string, unknown>)[key]);
  return out;
}

function checkItem(kind: ItemKind, item: AnyItem): { code: PlanoErrorCode; reason: string } | undefined {
  const record = item as unknown as Record<string, unknown>;
  const behaviors: readonly string[] = kind === 'product' ? PRODUCT_BEHAVIORS : ACCESSORY_BEHAVIORS;
  if (kind !== 'material' && !behaviors.includes(String(record.behavior))) {
    return { code: 'PAE_INVALID_ARGUMENT', reason: `behavior ${String(record.behavior)} is not a valid value` };
  }
  for (const [field, values] of Object.entries(ENUMS)) {
    if (field in record && !values.includes(String(record[field]))) {
      return { code: 'PAE_INVALID_ARGUMENT', reason: `${field} ${String(record[field])} is not a valid value` };
    }
  }
  const violation = validateItem(kind, item)[0];
  return violation && { code: violation.code, reason: `${violation.field} ${violation.reason}` };
}

/** Entries [start, end) of a Map's values, without copying the whole map for every page of a long listing. */
function pageOf<T>(values: IterableIterator<T>, [start, end]: [number, number]): T[] {
  const page: T[] = [];
  let i = 0;
  for (const v of values) {
    if (i >= end) break;
    if (i++ >= start) page.push(v);
  }
  return page;
}
