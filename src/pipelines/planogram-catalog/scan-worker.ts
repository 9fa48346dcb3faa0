/** Worker thread entry: scans the catalog files for the plan, or reads them again for apply (see catalog-scan.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import type { CatalogSource } from './catalog-rows.js';
import { type ScanPacing, scanSources } from './catalog-scan.js';
import type { ProtoSource } from '../../upstreams/planogrambuilder/proto.js';

const { sources, pacing, encode } = workerData as { sources: CatalogSource[]; pacing: ScanPacing; encode?: ProtoSource };
// Apply's reads send the items encoded: the service definition is loaded here too (a bad .proto failed the plan
// already). Imported only then: grpc-js and the loader cost the plan's scan ~0.15 s of start-up.
const encoders = encode && (await itemEncoders(encode));
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
  encoders,
);
// The thread stays up (its port listens) until the plan terminates it: an exit before that means a crash.

async function itemEncoders(encode: ProtoSource) {
  const [{ loadPlanoService }, { itemBodyEncoder }] = await Promise.all([import('../../upstreams/planogrambuilder/proto.js'), import('../../upstreams/planogrambuilder/item-bytes.js')]);
  const service = loadPlanoService(encode);
  return sources.map((s) => itemBodyEncoder(service, s.kind));
}
