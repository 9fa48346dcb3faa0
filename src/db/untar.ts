import { mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, normalize, sep } from 'node:path';

/**
 * Writes the regular files and folders of an uncompressed ustar archive under `dir`, and returns the paths
 * of the files it wrote. `writeLast` names one file (relative path) that is written after every other, so a
 * reader that waits for that file never sees a half-written tree. Entries that would land outside `dir`
 * (absolute after the leading slash is removed, or with `..`) and entry types other than file and folder
 * (links, devices) are refused with an error naming the entry.
 */
export function extractTar(tar: Uint8Array, dir: string, writeLast?: string): string[] {
  const files: string[] = [];
  let last: { path: string; body: Uint8Array } | undefined;
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break; // end-of-archive block
    const name = text(header, 0, 100);
    const prefix = text(header, 345, 155);
    const size = Number.parseInt(text(header, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156] ?? 0);
    const entry = (prefix ? `${prefix}/${name}` : name).replace(/^\/+/, '');
    if (!Number.isSafeInteger(size) || size < 0 || at + 512 + size > tar.length) throw new Error(`tar entry ${entry}: size ${size} runs past the archive`);
    const body = tar.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
    if (entry === '' || entry === '.') continue;
    const rel = normalize(entry);
    if (isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`)) throw new Error(`tar entry ${entry}: outside the target folder`);
    const path = join(dir, rel);
    if (type === '5') mkdirSync(path, { recursive: true });
    else if (type === '0' || type === '\0') {
      if (rel === writeLast) last = { path, body };
      else {
        mkdirSync(join(path, '..'), { recursive: true });
        writeFileSync(path, body);
        files.push(rel);
      }
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

function text(block: Uint8Array, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return Buffer.from(end < 0 ? field : field.subarray(0, end)).toString('utf8');
}
