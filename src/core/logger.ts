import pino, { type DestinationStream, type Logger } from 'pino';
import { createScrubber, redactSecrets } from '../config/secrets.js';

export interface LoggerOptions {
  level: string;
  /** Secret values from the config: replaced wherever they appear in a log line, even inside messages or URLs. */
  secrets?: readonly string[];
  destination?: DestinationStream;
}

/**
 * The one root logger. Two nets, both from `config/secrets.ts`: every value under a secret-looking key is
 * redacted at any depth (log objects, child bindings, serialised errors), which catches runtime tokens the
 * config does not know (an OAuth access token, a gRPC session token); and the stream hook removes every
 * configured secret and URL password from the finished line, which catches a secret that leaked into free
 * text (an error message quoting a URL, say).
 *
 * pino's own `redact` paths cannot say "this key at any depth" (`*.token` is one level), hence a formatter.
 * It walks the object copy-on-write: a clean object is not copied.
 */
export function createLogger(options: LoggerOptions): Logger {
  const scrub = createScrubber(options.secrets ?? []);
  const root = pino(
    {
      level: options.level,
      base: { pid: process.pid },
      errorKey: 'err',
      formatters: { log: (object) => redactSecrets(object) },
      serializers: { err: serializeError },
      hooks: { streamWrite: scrub },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
  // pino applies no formatter to a child's bindings, so `child` itself redacts them. Children inherit from
  // their parent, so every descendant's `child` is this one.
  const child = root.child;
  root.child = function redactedChild(this: Logger, bindings, childOptions) {
    return child.call(this, redactSecrets(bindings), childOptions);
  } as typeof root.child;
  return root;
}

/**
 * pino's error serialiser, then redaction of the error's own properties (a request's headers, say).
 * Serialisers run after the log formatter, which leaves an Error as it is.
 */
function serializeError(err: unknown): unknown {
  const out = pino.stdSerializers.err(err as Error) as unknown;
  return out !== null && typeof out === 'object' && out !== err ? redactSecrets({ ...out }) : redactSecrets(out);
}
