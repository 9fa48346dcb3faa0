import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import type { Hono } from 'hono';
import { type ConsoleDeps, type Env, page } from '../context.js';
import { html } from '../html.js';
import { isMirroredPath, listFiles } from '../order-queries.js';
import { filesTable } from '../views/orders.js';

export function fileRoutes(r: Hono<Env>, deps: ConsoleDeps): void {
  const { base, app } = deps;
  const db = app.db.kysely;

  r.get(`${base}files`, async (c) => page(c, deps, 'Mirrored files', filesTable(base, await listFiles(db, {}))));

  // Serves only a path koppel recorded as mirrored, and only inside storage.root: the query string is never a path on its own.
  r.get(`${base}files/download`, async (c) => {
    const path = c.req.query('path') ?? '';
    const root = resolve(app.config.storage.root);
    const full = resolve(root, path);
    const rel = relative(root, full);
    const inside = rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep);
    if (!inside || !(await isMirroredPath(db, path))) return page(c, deps, 'Not found', html`<p>No such mirrored file.</p>`, 404);
    const info = await stat(full).catch(() => undefined);
    if (!info?.isFile()) return page(c, deps, 'Not found', html`<p>The file is recorded but not on disk (removed, or the storage root moved).</p>`, 404);
    const name = basename(full).replace(/[^\w.-]/g, '_');
    return c.body(Readable.toWeb(createReadStream(full)) as ReadableStream, 200, {
      'content-type': 'application/octet-stream',
      'content-length': String(info.size),
      'content-disposition': `attachment; filename="${name}"`,
    });
  });
}
