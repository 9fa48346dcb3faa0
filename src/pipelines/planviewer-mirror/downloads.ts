/**
 * Downloads finished jobs that have no file yet: streamed to `<storage.root>/<folder>/<job>/<vendor name,
 * sanitised>` through writeFileAtomic, then indexed and the request completed in one transaction. The file
 * row (primary key = job) is what "already downloaded" means, so a finished download is never fetched again.
 */
import { readdir, rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { sql } from 'kysely';
import PQueue from 'p-queue';
import { fileSize, safeJoin, sanitizeFilename } from '../../core/file-store.js';
import { markCompleted } from '../../core/order-requests.js';
import type { PipelineContext } from '../../core/types.js';
import type { PlanviewerMirrorConfig } from './config.js';

type Ctx = PipelineContext<PlanviewerMirrorConfig>;

export interface DownloadCandidate {
  job_uuid: string;
  request_id: number;
}

/** Finished jobs of this pipeline without a file row (with `--full`, also those whose file is gone from disk). */
export async function downloadCandidates(ctx: Pick<Ctx, 'db' | 'pipeline' | 'options' | 'global' | 'config'>): Promise<DownloadCandidate[]> {
  const missing = await ctx.db
    .selectFrom('planviewer_jobs as j')
    .leftJoin('planviewer_files as f', 'f.job_uuid', 'j.job_uuid')
    .select(['j.job_uuid', 'j.request_id'])
    .where('j.pipeline', '=', ctx.pipeline)
    .where('j.status', '=', 'finished')
    .where('f.job_uuid', 'is', null)
    .orderBy('j.finished_at')
    .execute();
  const out = missing.map((r) => ({ job_uuid: r.job_uuid, request_id: Number(r.request_id) }));
  if (ctx.options.full) {
    const indexed = await ctx.db
      .selectFrom('planviewer_files as f')
      .innerJoin('planviewer_jobs as j', 'j.job_uuid', 'f.job_uuid')
      .select(['f.job_uuid', 'f.request_id', 'f.path', 'f.size'])
      .where('j.pipeline', '=', ctx.pipeline)
      .execute();
    const root = resolve(ctx.global.storage.root);
    for (const f of indexed) {
      if ((await fileSize(resolve(root, f.path))) !== Number(f.size)) out.push({ job_uuid: f.job_uuid, request_id: Number(f.request_id) });
    }
  }
  return out;
}

export async function downloadFinished(ctx: Ctx, candidates: readonly DownloadCandidate[]): Promise<void> {
  if (candidates.length === 0) return;
  const root = resolve(ctx.global.storage.root);
  const queue = new PQueue({ concurrency: ctx.config.download_concurrency });
  let done = 0;
  for (const job of candidates) {
    void queue.add(async () => {
      if (ctx.stopSignal.aborted) return;
      try {
        await downloadOne(ctx, root, job);
        ctx.count('updated');
      } catch (err) {
        if (ctx.abortSignal.aborted) return;
        ctx.count('failed');
        ctx.log.warn({ err, job: job.job_uuid }, 'download failed; the next run tries again');
      } finally {
        ctx.progress(++done, candidates.length, 'download');
      }
    });
  }
  await queue.onIdle();
}

async function downloadOne(ctx: Ctx, root: string, job: DownloadCandidate): Promise<void> {
  await removeStaleParts(safeJoin(root, ctx.config.folder, job.job_uuid));
  const file = await ctx.upstreams.planviewer.download(
    job.job_uuid,
    (vendorName) => safeJoin(root, ctx.config.folder, job.job_uuid, sanitizeFilename(vendorName ?? '', `${job.job_uuid}.bin`)),
    { signal: ctx.abortSignal },
  );
  const row = {
    job_uuid: job.job_uuid,
    request_id: job.request_id,
    path: relative(root, file.path),
    vendor_filename: file.vendorFilename === undefined ? null : printable(file.vendorFilename),
    size: file.size,
    sha256: file.sha256,
    content_type: file.contentType ?? null,
  };
  await ctx.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('planviewer_files')
      .values(row)
      .onConflict((oc) =>
        oc.column('job_uuid').doUpdateSet({
          path: row.path,
          vendor_filename: row.vendor_filename,
          size: row.size,
          sha256: row.sha256,
          content_type: row.content_type,
          downloaded_at: sql`now()`,
        }),
      )
      .execute();
    await markCompleted(trx, job.request_id);
  });
  ctx.log.info({ job: job.job_uuid, path: row.path, size: file.size, sha256: file.sha256 }, 'deliverable downloaded');
}

/** The vendor's name as received, with control characters spelled out (`\x00`): Postgres text refuses NUL. */
function printable(name: string): string {
  return name.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * A run killed mid-download leaves `.<name>.<random>.part` beside the target. Only this pipeline writes in a
 * job's folder and only one runner of it runs at a time, so any such file is stale.
 */
async function removeStaleParts(folder: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return; // no folder yet
  }
  for (const name of names) if (name.startsWith('.') && name.endsWith('.part')) await rm(join(folder, name), { force: true });
}
