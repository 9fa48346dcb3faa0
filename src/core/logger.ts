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
  const runLines = new RunLineTap();
  const root = pino(
    {
      level: options.level,
      base: { pid: process.pid },
      errorKey: 'err',
      formatters: { log: (object) => redactSecrets(object) },
      serializers: { err: serializeError },
      // A run's journal reads its lines here, after the last net: what it stores is what the log shows.
      hooks: { streamWrite: (line) => runLines.write(scrub(line)) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
  Object.defineProperty(root, RUN_LINES, { value: runLines });
  // pino applies no formatter to a child's bindings, so `child` itself redacts them. Children inherit from
  // their parent, so every descendant's `child` is this one.
  const child = root.child;
  root.child = function redactedChild(this: Logger, bindings, childOptions) {
    return child.call(this, redactSecrets(bindings), childOptions);
  } as typeof root.child;
  return root;
}

const RUN_LINES = Symbol('koppel.runLines');

/** A finished log line, parsed: pino's fields (`level`, `time`, `msg`) and the line's own. */
export type LogRecord = Record<string, unknown>;

/**
 * Hands each finished line to whoever listens for its run, by the line's `runId`: the runner's per-run child
 * binds it, and the upstream gateway adds it to a line about a call from the call's signal (run-signal.ts). A
 * line with no `runId` (a shared logger's, outside the gateway) stays out of every run's journal. Idle (no JSON
 * parsing) unless a run is listening.
 */
class RunLineTap {
  readonly #listeners = new Map<number, (line: LogRecord) => void>();

  listen(runId: number, listener: (line: LogRecord) => void): () => void {
    this.#listeners.set(runId, listener);
    return () => this.#listeners.delete(runId);
  }

  write(line: string): string {
    if (this.#listeners.size === 0) return line;
    if (!line.includes('"runId":')) return line;
    const record = JSON.parse(line) as LogRecord;
    if (typeof record.runId === 'number') this.#listeners.get(record.runId)?.(record);
    return line;
  }
}

/**
 * Calls `listener` with every line logged, until the returned function is called, by any logger descended from
 * `log`'s root that carries `runId` (the runner's per-run child and its children, or the upstream gateway's
 * line about a call made with the run's signal), as written: redacted and scrubbed. A logger not made by
 * `createLogger` (a test's bare pino) has no lines to give: nothing is called.
 */
export function listenToRunLines(log: Logger, runId: number, listener: (line: LogRecord) => void): () => void {
  // pino's children are `Object.create(parent)`, so the root's tap is found from any descendant.
  const tap = (log as unknown as Record<symbol, RunLineTap | undefined>)[RUN_LINES];
  return tap ? tap.listen(runId, listener) : () => undefined;
}

/**
 * pino's error serialiser, then redaction of the error's own properties (a request's headers, say).
 * Serialisers run after the log formatter, which leaves an Error as it is.
 */
function serializeError(err: unknown): unknown {
  const out = pino.stdSerializers.err(err as Error) as unknown;
  return out !== null && typeof out === 'object' && out !== err ? redactSecrets({ ...out }) : redactSecrets(out);
}
