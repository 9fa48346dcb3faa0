import pino, { type DestinationStream, type Logger } from 'pino';

/** Paths that hold credentials in anything we log (request options, headers, config blocks). */
const REDACT_KEYS = ['password', 'secret', 'client_secret', 'token', 'access_token', 'apikey', 'hmac', 'authorization', 'Authorization', 'webhook_token', 'access_key'];
// `*.key` only matches one level down, so each key is listed at the top level as well.
const REDACT_PATHS = [...REDACT_KEYS, ...REDACT_KEYS.map((k) => `*.${k}`), 'req.headers.authorization'];

export interface LoggerOptions {
  level: string;
  /** Secret values from the config: replaced wherever they appear in a log line, even inside messages or URLs. */
  secrets?: readonly string[];
  destination?: DestinationStream;
}

/**
 * The one root logger. Key-based redaction catches structured fields; the stream hook catches a secret that
 * leaked into free text (an error message quoting a URL, say), so nothing configured as secret is ever written.
 */
export function createLogger(options: LoggerOptions): Logger {
  const secrets = [...(options.secrets ?? [])].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  const encoded = secrets.flatMap((s) => percentForms(s).concat(JSON.stringify(s).slice(1, -1)));
  const needles = [...new Set([...secrets, ...encoded])].filter((s) => s.length >= 4);
  return pino(
    {
      level: options.level,
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      errorKey: 'err',
      hooks: needles.length
        ? {
            streamWrite: (line: string) => {
              let out = line;
              for (const n of needles) if (out.includes(n)) out = out.split(n).join('[redacted]');
              return out;
            },
          }
        : {},
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/**
 * The ways a secret is percent-encoded in URLs and bodies we log: encodeURIComponent, the form encoding of
 * URLSearchParams (`+` for space, `!'()~` escaped), each also with lower-case hex digits.
 */
function percentForms(secret: string): string[] {
  const forms = [encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2)];
  return forms.flatMap((f) => [f, f.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())]);
}
