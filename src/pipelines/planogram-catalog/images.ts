/**
 * Pack shots: find each image an item names in the images folder (case-insensitively, as the API compares
 * names), and decide by content hash which ones need uploading. Hashes are cached in item state with size and
 * mtime, so an unchanged folder is not re-read on every run.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../../core/errors.js';
import type { ItemState } from '../../core/item-state.js';
import { MAX_FILE_BYTES } from '../../upstreams/planogrambuilder/limits.js';

export interface LocalImage {
  /** Name as the first item spelled it; the remote name. */
  name: string;
  path: string;
  size: number;
  mtimeMs: number;
  sha256: string;
}

export function fileKey(name: string): string {
  return `file:${name.toLowerCase()}`;
}

/** Lower-cased file name → actual name in the folder. */
export async function indexFolder(dir: string): Promise<Map<string, string>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new ConfigError(`source.images: cannot read folder ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return new Map(names.map((n) => [n.toLowerCase(), n]));
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export type ImageLookup =
  | { ok: true; image: LocalImage; hashed: boolean }
  | { ok: false; reason: string };

/**
 * Finds `name` in the folder and its content hash. The stored hash is reused when size and mtime match and
 * `full` is off; `hashed` says the file was read.
 */
export async function lookupImage(
  dir: string,
  index: Map<string, string>,
  name: string,
  stored: ItemState | undefined,
  full: boolean,
): Promise<ImageLookup> {
  const actual = index.get(name.toLowerCase());
  if (!actual) return { ok: false, reason: `image "${name}" is not in the images folder` };
  const path = join(dir, actual);
  const st = await stat(path);
  if (!st.isFile()) return { ok: false, reason: `image "${name}" is not a regular file` };
  if (st.size > MAX_FILE_BYTES) return { ok: false, reason: `image "${name}" is ${(st.size / 1048576).toFixed(1)} MiB, more than the 5 MiB the API accepts` };
  if (st.size === 0) return { ok: false, reason: `image "${name}" is empty` };
  const data = stored?.data as { size?: number; mtimeMs?: number } | null | undefined;
  if (!full && stored && data?.size === st.size && data.mtimeMs === st.mtimeMs) {
    return { ok: true, hashed: false, image: { name, path, size: st.size, mtimeMs: st.mtimeMs, sha256: stored.hash } };
  }
  return { ok: true, hashed: true, image: { name, path, size: st.size, mtimeMs: st.mtimeMs, sha256: await sha256File(path) } };
}

/**
 * The checkpoint of an image on the service. `unsettled`: uploaded, but items using it may still show the old
 * image (written as soon as the upload succeeds, so a run stopped before the refreshes does not send it again).
 */
export function imageState(image: LocalImage, unsettled = false): ItemState {
  return { key: fileKey(image.name), hash: image.sha256, remoteId: image.name, data: { size: image.size, mtimeMs: image.mtimeMs, ...(unsettled ? { unsettled: true } : {}) } };
}

/** The stored image checkpoint says the upload landed but its users were not all regenerated. */
export function isUnsettled(stored: ItemState | undefined): boolean {
  return (stored?.data as { unsettled?: unknown } | null | undefined)?.unsettled === true;
}
