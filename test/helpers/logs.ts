import { Writable } from 'node:stream';

/** A pino destination that keeps every NDJSON line, so tests can parse logs and search them for secrets. */
export class LogSink extends Writable {
  readonly lines: string[] = [];

  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) if (line) this.lines.push(line);
    done();
  }

  get records(): Record<string, unknown>[] {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  get text(): string {
    return this.lines.join('\n');
  }
}
