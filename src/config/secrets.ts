/**
 * The one definition of what is secret, used by `config check` (masking), the logger (key redaction at any
 * depth, and scrubbing of known values from every line), `status` and `/healthz`:
 * - a value under a key whose name ends like a credential (`SECRET_KEY`): in the config, in a log object at any
 *   depth, in status output;
 * - the password inside any `scheme://user:password@host` URL;
 * - every such value found in the config, wherever it later turns up in free text (messages, URLs, bodies),
 *   raw or percent-, form- or JSON-encoded.
 * Key names only, never vendor names: `client_secret`, `webhook_token`, `access_token`, a gRPC session
 * `token`, `authorization` headers and `hmac` signatures all end in one of these words.
 */
const SECRET_KEY = /(secret|password|passwd|token|apikey|api_key|access_key|hmac|authorization|cookie)$/i;

/** What a redacted value is replaced with in logs and status output. */
export const REDACTED = '[redacted]';

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** Every secret string in the config (at least 4 characters, so that masking stays meaningful). */
export function collectSecrets(config: unknown): string[] {
  const found = new Set<string>();
  const walk = (v: unknown, key: string): void => {
    if (typeof v === 'string') {
      if (isSecretKey(key) && v.length >= 4) found.add(v);
      const password = urlPassword(v);
      if (password && password.length >= 4) found.add(password);
      return;
    }
    if (Array.isArray(v)) v.forEach((item) => walk(item, key));
    else if (v && typeof v === 'object') for (const [k, item] of Object.entries(v)) walk(item, k);
  };
  walk(config, '');
  return [...found];
}

/**
 * A copy of `value` in which every non-empty value under a secret key, at any depth, is `censor`, and URL
 * passwords are masked. Plain objects and arrays are walked; other objects (Error, Date, Buffer) are kept as
 * they are. Copy on write: an object without secrets is returned as the same reference, so logging a clean
 * object costs one walk and no allocation. Cycles are left to the caller's serialiser.
 */
export function redactSecrets<T>(value: T, censor: string = REDACTED): T {
  const text = censor === REDACTED ? maskUrlPasswordsIn : (s: string) => (s.includes('@') ? maskUrlPasswords(s, censor) : s);
  return walkRedact(value, '', censor, text, new Set()) as T;
}

/**
 * For output meant for people (`status`, `/healthz`): `redactSecrets`, and every other string passed through
 * `scrub` (a `createScrubber`), so an error message that quotes a configured secret is cleaned as in the logs.
 */
export function redactForDisplay<T>(value: T, scrub: (text: string) => string): T {
  return walkRedact(value, '', REDACTED, scrub, new Set()) as T;
}

/** The config as `config check` prints it: secrets as `***`. */
export function maskSecrets<T>(config: T): T {
  return redactSecrets(config, '***');
}

function walkRedact(v: unknown, key: string, censor: string, text: (s: string) => string, path: Set<object>): unknown {
  if (typeof v === 'string') return v !== '' && isSecretKey(key) ? censor : text(v);
  if (v === null || typeof v !== 'object' || path.has(v)) return v;
  if (isSecretKey(key) && !(v instanceof Error)) return censor; // `authorization: { bearer: … }`: the whole value
  const isArray = Array.isArray(v);
  if (!isArray) {
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return v;
  }
  path.add(v);
  let copy: Record<string, unknown> | unknown[] | undefined;
  const entries = isArray ? (v as unknown[]).entries() : Object.entries(v);
  for (const [k, item] of entries) {
    const out = walkRedact(item, isArray ? key : (k as string), censor, text, path);
    if (out !== item) {
      copy ??= isArray ? [...(v as unknown[])] : { ...(v as Record<string, unknown>) };
      (copy as Record<string | number, unknown>)[k as string | number] = out;
    }
  }
  path.delete(v);
  return copy ?? v;
}

const URL_WITH_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@"'<>]*):([^\s/@"'<>]*)@/gi;

const maskUrlPasswordsIn = (s: string): string => (s.includes('@') ? maskUrlPasswords(s) : s);

/** `scheme://user:password@host` anywhere in `text` → `scheme://user:<censor>@host`. */
export function maskUrlPasswords(text: string, censor: string = REDACTED): string {
  return text.replace(URL_WITH_PASSWORD, (match, head: string, password: string) => (password === '' ? match : `${head}:${censor}@`));
}

/**
 * A function that removes the configured secret values (raw and in every encoding they take in URLs, form
 * bodies and JSON) and URL passwords from free text: the logger's last line of defence, and what `/healthz`
 * and `status` pass error messages through.
 */
export function createScrubber(secrets: readonly string[]): (text: string) => string {
  const raw = [...secrets].filter((s) => s.length >= 4);
  const encoded = raw.flatMap((s) => percentForms(s).concat(JSON.stringify(s).slice(1, -1)));
  // Longest first, so a secret that contains another is replaced whole.
  const needles = [...new Set([...raw, ...encoded])].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const n of needles) if (out.includes(n)) out = out.split(n).join(REDACTED);
    return out.includes('@') ? maskUrlPasswords(out) : out;
  };
}

/**
 * The ways a secret is percent-encoded in URLs and bodies: encodeURIComponent, the form encoding of
 * URLSearchParams (`+` for space, `!'()~` escaped), each also with lower-case hex digits.
 */
function percentForms(secret: string): string[] {
  const forms = [encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2)];
  return forms.flatMap((f) => [f, f.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())]);
}

function urlPassword(value: string): string | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/]*:[^/]*@/i.test(value)) return undefined;
  try {
    return decodeURIComponent(new URL(value).password) || undefined;
  } catch {
    return undefined;
  }
}
