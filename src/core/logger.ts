import pino, { type DestinationStream, type Logger } from 'pino';

/** Paths that hold credentials in anything we log (request options, headers, config blocks). */
const REDACT_PATHS = [
  '*.password', '*.secret', '*.client_secret', '*.token', '*.access_token', '*.apikey', '*.hmac', '*.authorization',
  '*.Authorization', 'headers.authorization', 'req.headers.authorization', '*.webhook_token', '*.access_key',
];

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
  const encoded = secrets.flatMap((s) => [JSON.stringify(s).slice(1, -1), encodeURIComponent(s)]);
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
