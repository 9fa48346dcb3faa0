/**
 * `${NAME}` and `${NAME:-default}` in any string value are replaced from the environment. An unset variable
 * becomes the empty string (so `url: ${DATABASE_URL}` can mean "absent"); its path is remembered so that a
 * validation error there can say which variable was missing.
 */
export interface Substituted {
  value: unknown;
  /** Config path (`a.b[0].c`) → names of unset variables used there. */
  unset: Map<string, string[]>;
}

const PATTERN = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function substituteEnv(value: unknown, env: NodeJS.ProcessEnv): Substituted {
  const unset = new Map<string, string[]>();
  const walk = (v: unknown, path: string): unknown => {
    if (typeof v === 'string') {
      return v.replace(PATTERN, (_m, name: string, fallback: string | undefined) => {
        const found = env[name];
        if (found !== undefined && found !== '') return found;
        if (fallback !== undefined) return fallback;
        unset.set(path, [...(unset.get(path) ?? []), name]);
        return '';
      });
    }
    if (Array.isArray(v)) return v.map((item, i) => walk(item, `${path}[${i}]`));
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item, path ? `${path}.${k}` : k)]));
    }
    return v;
  };
  return { value: walk(value, ''), unset };
}
