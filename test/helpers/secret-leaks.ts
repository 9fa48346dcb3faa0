import { collectSecrets, isSecretKey } from '../../src/config/secrets.js';

/** A value that must never be logged, and what to call it in a failure (a config key path, never the value). */
export interface NamedSecret {
  label: string;
  value: string;
}

/**
 * Every secret of the config with the key path it sits at: the same values `collectSecrets` gives the log
 * redactor (so the check and the product agree on what a secret is), labelled for error messages.
 */
export function namedSecrets(config: unknown): NamedSecret[] {
  const labels = new Map<string, string>();
  const walk = (v: unknown, path: string, key: string): void => {
    if (typeof v === 'string') {
      if (isSecretKey(key)) labels.set(v, labels.get(v) ?? path);
      else if (/^[a-z][a-z0-9+.-]*:\/\/[^/]*:[^/]*@/i.test(v)) {
        try {
          const password = decodeURIComponent(new URL(v).password);
          if (password) labels.set(password, labels.get(password) ?? `${path} (password in the URL)`);
        } catch {
          // Not a URL after all: collectSecrets skips it too.
        }
      }
      return;
    }
    if (Array.isArray(v)) v.forEach((item, i) => walk(item, `${path}[${i}]`, key));
    else if (v && typeof v === 'object') for (const [k, item] of Object.entries(v)) walk(item, path ? `${path}.${k}` : k, k);
  };
  walk(config, '', '');
  return collectSecrets(config).map((value) => ({ value, label: labels.get(value) ?? '(a configured secret)' }));
}

/** The forms a secret takes in URLs, form bodies and JSON strings. */
function encodedForms(secret: string): { form: string; how: string }[] {
  const forms = [
    { form: secret, how: 'raw' },
    { form: encodeURIComponent(secret), how: 'percent-encoded' },
    { form: new URLSearchParams({ s: secret }).toString().slice(2), how: 'form-encoded' },
    { form: JSON.stringify(secret).slice(1, -1), how: 'JSON-escaped' },
  ];
  const lower = forms.map((f) => ({ form: f.form.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()), how: `${f.how} (lower-case hex)` }));
  const seen = new Set<string>();
  return [...forms, ...lower].filter((f) => !seen.has(f.form) && seen.add(f.form));
}

/**
 * Where secrets appear in `text`: one line per leak, naming the secret's label and form and how many times.
 * Values shorter than 4 characters are skipped (as the redactor does: they would match by chance).
 */
export function findSecretLeaks(text: string, secrets: readonly NamedSecret[]): string[] {
  const leaks: string[] = [];
  for (const { label, value } of secrets) {
    if (value.length < 4) continue;
    for (const { form, how } of encodedForms(value)) {
      const count = text.split(form).length - 1;
      if (count > 0) leaks.push(`${label} appears ${how} ${count} time(s)`);
    }
  }
  return leaks;
}
