/** Worker thread entry: scans the catalog files for the plan (see catalog-scan.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import type { CatalogSource } from './catalog-rows.js';
import { type ScanPacing, scanSources } from './catalog-scan.js';

const { sources, pacing } = workerData as { sources: CatalogSource[]; pacing: ScanPacing };
const port = parentPort!;
let unread = 0;
let resume: (() => void) | undefined;
/** Batch buffers the plan has read and handed back, to be filled again. */
const spare: ArrayBuffer[] = [];
port.on('message', (bytes: ArrayBuffer) => {
  unread--;
  spare.push(bytes);
  resume?.();
});

await scanSources(
  sources,
  pacing.batchRows,
  (message, transfer) => {
    if (!('failed' in message)) unread++;
    port.postMessage(message, transfer);
  },
  async () => {
    while (unread >= pacing.batchesAhead) await new Promise<void>((r) => (resume = r));
    resume = undefined;
  },
  () => spare.pop(),
);
// The thread stays up (its port listens) until the plan terminates it: an exit before that means a crash.
