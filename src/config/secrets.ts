/**
 * Which config values are secrets: every value under a key named like a credential, and the password inside
 * a database URL. `config check`, `status` and the log redactor all use this one definition.
 */
const SECRET_KEY = /(secret|password|token|apikey|api_key|access_key)$/i;

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

/** A copy with secret values replaced by `***` (database URL passwords included). */
export function maskSecrets<T>(config: T): T {
  const walk = (v: unknown, key: string): unknown => {
    if (typeof v === 'string') {
      if (isSecretKey(key) && v !== '') return '***';
      const password = urlPassword(v);
      return password ? v.replace(`:${password}@`, ':***@') : v;
    }
    if (Array.isArray(v)) return v.map((item) => walk(item, key));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item, k)]));
    return v;
  };
  return walk(config, '') as T;
}

function urlPassword(value: string): string | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/]*:[^/]*@/i.test(value)) return undefined;
  try {
    return decodeURIComponent(new URL(value).password) || undefined;
  } catch {
    return undefined;
  }
}
