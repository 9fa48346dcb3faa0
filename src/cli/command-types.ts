/** What every command module takes from the program that registers it (kept apart so commands do not import program.ts). */

/** Each command resolves to its exit code; the caller sets process.exitCode (no process.exit mid-flight). */
export type CommandResult = Promise<number>;

/** Runs a command's action and turns its result, or its error, into the exit code. */
export type Wrap = <A extends unknown[]>(fn: (...args: A) => CommandResult) => (...args: A) => Promise<void>;

/** The `--config` path given on the command line, if any. */
export type GlobalConfig = () => string | undefined;
