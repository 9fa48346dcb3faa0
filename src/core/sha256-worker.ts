/** Worker thread entry: the sha256 digests of StreamDigest (see stream-digest.ts), one per open stream. */
import { createHash, type Hash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import type { DigestReply, DigestRequest } from './stream-digest.js';

const port = parentPort!;
const { shared, slotBytes } = workerData as { shared: SharedArrayBuffer; slotBytes: number };
const open = new Map<number, Hash>();
const reply = (message: DigestReply) => port.postMessage(message);

port.on('message', (m: DigestRequest) => {
  if (m.slot !== undefined) {
    let hash = open.get(m.id);
    if (!hash) open.set(m.id, (hash = createHash('sha256')));
    hash.update(new Uint8Array(shared, m.slot * slotBytes, m.length));
    reply({ id: m.id, slot: m.slot });
  } else if (m.end) {
    const hash = open.get(m.id) ?? createHash('sha256');
    open.delete(m.id);
    reply({ id: m.id, hex: hash.digest('hex') });
  } else open.delete(m.id);
});
