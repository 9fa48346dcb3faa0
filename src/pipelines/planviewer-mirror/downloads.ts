/**
 * Downloads finished jobs that have no file yet: streamed to `<storage.root>/<folder>/<job>/<vendor name,
 * sanitised>` through writeFileAtomic (temporary name, size checked, sha256 taken, renamed), then indexed in
 * batches (see `file-index.ts`). The file row (primary key = job) is what "already downloaded" means; a file
 * that a crash left on disk but out of the index is indexed from disk on the next run, not fetched again.
 */
import { mkdir, readdir, rm, rmdir } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { clearDownloadFailures, knownDownloadFailures, recordDownloadFailure } from '../../core/download-failures.js';
import { DownloadTooLargeError } from '../../core/download-limit.js';
import { CredentialError, coerceError } from '../../core/errors.js';
import { fileSize, hashFile, safeJoin, sanitizeFilename } from '../../core/file-store.js';
import { forEachConcurrent } from '../../core/for-each-concurrent.js';
import type { ContextOf } from '../define-pipeline.js';
import type { PlanviewerMirrorConfig } from './config.js';
import { FileIndexBatch, type FileRow } from './file-index.js';

type Ctx = ContextOf<PlanviewerMirrorConfig, 'planviewer'>;

export interface DownloadCandidate {
  job_uuid: string;
  request_id: number;
  /** Indexed, but its file is gone or has the wrong size (`--full`): fetch again, trust nothing on disk. */
  refetch?: boolean;
}

/** Index rows per transaction, and the longest a downloaded file waits for its batch. */
const INDEX_BATCH_ROWS = 100;
const INDEX_BATCH_DELAY_MS = 250;

/**
 * Finished jobs of this pipeline without a file row (with `--full`, also those whose file is gone from disk),
 * except those refused for their size while `max_download_bytes` is not raised (status lists them).
 */
export async function downloadCandidates(ctx: Pick<Ctx, 'db' | 'pipeline' | 'options' | 'global' | 'config'>): Promise<DownloadCandidate[]> {
  const { refused } = await knownDownloadFailures(ctx.db, ctx.pipeline, ctx.global.upstreams.planviewer!.max_download_bytes);
  const missing = await ctx.db
    .selectFrom('planviewer_jobs as j')
    .leftJoin('planviewer_files as f', 'f.job_uuid', 'j.job_uuid')
    .select(['j.job_uuid', 'j.request_id'])
    .where('j.pipeline', '=', ctx.pipeline)
    .where('j.status', '=', 'finished')
    .where('f.job_uuid', 'is', null)
    .orderBy('j.finished_at')
    .execute();
  const out: DownloadCandidate[] = missing.filter((r) => !refused.has(r.job_uuid)).map((r) => ({ job_uuid: r.job_uuid, request_id: Number(r.request_id) }));
  if (ctx.options.full) {
    const indexed = await ctx.db
      .selectFrom('planviewer_files as f')
      .innerJoin('planviewer_jobs as j', 'j.job_uuid', 'f.job_uuid')
      .select(['f.job_uuid', 'f.request_id', 'f.path', 'f.size'])
      .where('j.pipeline', '=', ctx.pipeline)
      .execute();
    const root = resolve(ctx.global.storage.root);
    for (const f of indexed) {
      if ((await fileSize(resolve(root, f.path))) !== Number(f.size)) out.push({ job_uuid: f.job_uuid, request_id: Number(f.request_id), refetch: true });
    }
  }
  return out;
}

export async function downloadFinished(ctx: Ctx, candidates: readonly DownloadCandidate[]): Promise<void> {
  if (candidates.length === 0) return;
  const root = resolve(ctx.global.storage.root);
  const failedBefore = (await knownDownloadFailures(ctx.db, ctx.pipeline, ctx.global.upstreams.planviewer!.max_download_bytes)).any;
  let done = 0;
  const settled = (n: number) => {
    done += n;
    ctx.progress(done, candidates.length, 'download');
  };
  const index = new FileIndexBatch(ctx.db, {
    maxRows: INDEX_BATCH_ROWS,
    maxDelayMs: INDEX_BATCH_DELAY_MS,
    onIndexed: (rows) => {
      for (const row of rows) ctx.log.info({ job: row.job_uuid, path: row.path, size: row.size, sha256: row.sha256 }, 'deliverable downloaded');
      ctx.count('updated', rows.length);
      settled(rows.length);
    },
    onFailed: (rows, err) => {
      ctx.log.warn({ err, jobs: rows.map((r) => r.job_uuid) }, 'could not index downloaded files; the next run indexes them from disk');
      ctx.count('failed', rows.length);
      settled(rows.length);
    },
  });
  try {
    // The gateway bounds calls in flight too; this only keeps us from starting thousands of downloads at once.
    await forEachConcurrent(candidates, ctx.config.download_concurrency, ctx.stopSignal, async (job) => {
      try {
        index.add(await downloadOne(ctx, root, job));
        if (failedBefore.has(job.job_uuid)) await clearDownloadFailures(ctx.db, ctx.pipeline, [job.job_uuid]);
      } catch (thrown) {
        if (ctx.abortSignal.aborted) return;
        const err = coerceError(thrown);
        // Every further download would be refused alike: end here (forEachConcurrent starts no more).
        if (err instanceof CredentialError) throw err;
        await recordDownloadFailure(ctx.db, ctx.pipeline, job.job_uuid, err).catch((e: unknown) => ctx.log.warn({ err: e }, 'could not record a download failure'));
        if (err instanceof DownloadTooLargeError) {
          // The same answer would come back every run: refused (exit 3, listed by status) until the limit is raised.
          await rmdir(safeJoin(root, ctx.config.folder, job.job_uuid)).catch(() => undefined); // the job's folder, if empty
          await ctx.reject.add({ itemKey: `job:${job.job_uuid}`, field: 'max_download_bytes', reason: err.message });
        } else {
          ctx.count('failed');
          ctx.log.warn({ err, job: job.job_uuid }, 'download failed; the next run tries again');
        }
        settled(1);
      }
    });
  } finally {
    // Also on stop: the files already renamed into place are indexed before the run ends.
    await index.flush();
  }
}

async function downloadOne(ctx: Ctx, root: string, job: DownloadCandidate): Promise<FileRow> {
  const folder = safeJoin(root, ctx.config.folder, job.job_uuid);
  const found = await prepareJobFolder(folder);
  if (found !== undefined && !job.refetch) {
    // Renamed into place by a run that died before indexing it: complete by construction (size checked).
    const path = join(folder, found);
    const { size, sha256 } = await hashFile(path);
    ctx.log.info({ job: job.job_uuid, path: relative(root, path) }, 'deliverable found on disk from an interrupted run; indexed without fetching');
    return { job_uuid: job.job_uuid, request_id: job.request_id, path: relative(root, path), vendor_filename: null, size, sha256, content_type: null };
  }
  const file = await ctx.upstreams.planviewer.download(
    job.job_uuid,
    (vendorName) => join(folder, sanitizeFilename(vendorName ?? '', `${job.job_uuid}.bin`)),
    { signal: ctx.abortSignal },
  );
  return {
    job_uuid: job.job_uuid,
    request_id: job.request_id,
    path: relative(root, file.path),
    vendor_filename: file.vendorFilename === undefined ? null : printable(file.vendorFilename),
    size: file.size,
    sha256: file.sha256,
    content_type: file.contentType ?? null,
  };
}

/** The vendor's name as received, with control characters spelled out (`\x00`): Postgres text refuses NUL. */
function printable(name: string): string {
  return name.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * Makes the job's folder, or — when it already exists, i.e. an earlier run got this far — removes the
 * `.<name>.<random>.part` files a killed run left (only this pipeline writes here and only one runner of it
 * runs at a time, so any such file is stale) and returns the name of the finished file when there is exactly
 * one. A new job costs one mkdir, not a folder listing plus a recursive mkdir.
 */
async function prepareJobFolder(folder: string): Promise<string | undefined> {
  try {
    await mkdir(folder);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      await mkdir(folder, { recursive: true }); // first download under this storage root
      return undefined;
    }
    if (code !== 'EEXIST') throw err;
  }
  const names = await readdir(folder);
  for (const name of names) if (name.startsWith('.') && name.endsWith('.part')) await rm(join(folder, name), { force: true });
  const finished = names.filter((name) => !name.startsWith('.'));
  return finished.length === 1 ? finished[0] : undefined;
}
