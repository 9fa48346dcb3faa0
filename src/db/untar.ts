import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { isAbsolute, join, normalize, sep } from 'node:path';

/**
 * Writes the regular files and folders of an uncompressed ustar archive under `dir`, and returns the paths
 * of the files it wrote. The archive is read as it comes (a gunzip stream, or one buffer): only the bytes in
 * hand are held, never the whole archive (a data folder's tar is ~40 MB; holding it raised a new folder's peak
 * RSS by as much). `writeLast` names one file (relative path) that is written after every other, so a reader
 * that waits for that file never sees a half-written tree. Entries that would land outside `dir` (absolute
 * after the leading slash is removed, or with `..`) and entry types other than file and folder (links,
 * devices) are refused with an error naming the entry.
 */
export async function extractTar(source: AsyncIterable<Uint8Array> | Uint8Array, dir: string, writeLast?: string): Promise<string[]> {
  const input = new ChunkReader(source instanceof Uint8Array ? [source] : source);
  const files: string[] = [];
  let last: { path: string; body: Uint8Array } | undefined;
  for (;;) {
    const header = await input.take(512);
    if (header.length < 512 || header.every((b) => b === 0)) break; // end of the archive (or its end block)
    const name = text(header, 0, 100);
    const prefix = text(header, 345, 155);
    const size = Number.parseInt(text(header, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156] ?? 0);
    const entry = (prefix ? `${prefix}/${name}` : name).replace(/^\/+/, '');
    const pastEnd = () => new Error(`tar entry ${entry}: size ${size} runs past the archive`);
    if (!Number.isSafeInteger(size) || size < 0) throw pastEnd();
    const padding = Math.ceil(size / 512) * 512 - size;
    const rel = normalize(entry);
    if (entry === '' || entry === '.') {
      if (!(await input.skip(size + padding))) throw pastEnd();
      continue;
    }
    if (isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`)) throw new Error(`tar entry ${entry}: outside the target folder`);
    const path = join(dir, rel);
    if (type === '5') {
      mkdirSync(path, { recursive: true });
      if (!(await input.skip(size + padding))) throw pastEnd();
    } else if (type === '0' || type === '\0') {
      if (rel === writeLast) {
        const body = Buffer.from(await input.take(size)); // a copy: the chunk it came from is not kept
        if (body.length < size) throw pastEnd();
        last = { path, body };
      } else {
        mkdirSync(join(path, '..'), { recursive: true });
        const fd = openSync(path, 'w');
        try {
          for (let left = size; left > 0; ) {
            const part = await input.some(left);
            if (part.length === 0) throw pastEnd();
            writeSync(fd, part);
            left -= part.length;
          }
        } finally {
          closeSync(fd);
        }
        files.push(rel);
      }
      if (!(await input.skip(padding))) throw pastEnd();
    } else throw new Error(`tar entry ${entry}: type '${type}' is not a file or folder`);
  }
  if (writeLast && !last) throw new Error(`tar archive has no ${writeLast}`);
  if (last) {
    mkdirSync(join(last.path, '..'), { recursive: true });
    writeFileSync(last.path, last.body);
    files.push(writeLast!);
  }
  return files;
}

/** Bytes from a stream of chunks, in the sizes the tar format asks for. */
class ChunkReader {
  readonly #chunks: AsyncIterator<Uint8Array> | Iterator<Uint8Array>;
  #held: Uint8Array = new Uint8Array(0);

  constructor(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>) {
    this.#chunks = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  }

  async #more(): Promise<boolean> {
    const next = await this.#chunks.next();
    if (next.done) return false;
    this.#held = this.#held.length ? Buffer.concat([this.#held, next.value]) : next.value;
    return true;
  }

  /** The next `n` bytes, fewer only where the stream ends. */
  async take(n: number): Promise<Uint8Array> {
    while (this.#held.length < n && (await this.#more()));
    const out = this.#held.subarray(0, n);
    this.#held = this.#held.subarray(out.length);
    return out;
  }

  /** The next 1..`n` bytes (what is in hand, or the next chunk's); none only where the stream ends. */
  async some(n: number): Promise<Uint8Array> {
    if (this.#held.length === 0) await this.#more();
    return this.take(Math.min(n, this.#held.length));
  }

  /** Passes over `n` bytes; false when the stream ended first. */
  async skip(n: number): Promise<boolean> {
    for (let left = n; left > 0; ) {
      const part = await this.some(left);
      if (part.length === 0) return false;
      left -= part.length;
    }
    return true;
  }
}

function text(block: Uint8Array, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return Buffer.from(end < 0 ? field : field.subarray(0, end)).toString('utf8');
}
