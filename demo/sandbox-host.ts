/**
 * The demo's sandboxes in their own process, so `npm run demo`'s peak RSS is koppel's alone. Run by
 * demo/sandbox-process.ts over an IPC channel: it starts every sandbox, reports their addresses, answers the
 * few operations the demo steps perform on them, and exits when the channel closes (the demo ended or died).
 */
import type { AmbitaSandbox } from '../sandbox/ambita/server.js';
import type { SandboxHandle } from '../sandbox/kit.js';
import type { PlanogramBuilderSandbox } from '../sandbox/planogrambuilder/server.js';
import { startAllSandboxes } from '../sandbox/start-all.js';

type Handles = Record<string, SandboxHandle>;
const ambita = (h: Handles) => h.ambita as AmbitaSandbox;
const planogram = (h: Handles) => h.planogrambuilder as PlanogramBuilderSandbox;

/** What a demo step may ask of a sandbox; arguments and results cross the channel as structured clones. */
export const SANDBOX_OPS = {
  /** The order placed for a queued request (by its technical reference), with the first file of its second line. */
  ambitaPlacedOrder: (h: Handles, technicalReference: string) => {
    const order = [...ambita(h).book.orders.values()].find((o) => o.technicalReference === technicalReference);
    return order ? { id: order.id, secondLineAssetId: order.orders[0]?.lines[1]?.assets[0]?.id } : undefined;
  },
  ambitaAdvance: (h: Handles, orderId: number) => ambita(h).advance(orderId),
  ambitaFinish: (h: Handles, orderId: number) => ambita(h).finish(orderId),
  ambitaDeleteAsset: (h: Handles, assetId: string) => ambita(h).deleteAsset(assetId),
  ambitaAddAsset: async (h: Handles, orderId: number, filename: string) => void (await ambita(h).update(orderId, { filename })),
  planogramCounts: (h: Handles) => {
    const s = planogram(h);
    return { products: s.items('product').length, accessories: s.items('accessory').length, materials: s.items('material').length, images: s.files().length, stale: s.staleItems().length };
  },
  planogramResetCalls: (h: Handles) => planogram(h).resetCalls(),
  planogramMutatingCalls: (h: Handles) => planogram(h).mutatingCalls(),
} satisfies Record<string, (h: Handles, ...args: never[]) => unknown>;
export type SandboxOps = typeof SANDBOX_OPS;

if (process.send) {
  const started = await startAllSandboxes(0);
  const handles: Handles = Object.fromEntries(started.map((s) => [s.name, s.handle]));
  const stop = async () => {
    for (const s of started) await s.handle.close();
    process.exit(0);
  };
  process.once('disconnect', () => void stop());
  process.once('SIGTERM', () => void stop());
  // Ctrl-C reaches the whole terminal group: the demo decides when to stop, and closing the channel stops this.
  process.on('SIGINT', () => {});
  process.on('message', (m: { id: number; op: keyof SandboxOps; args: never[] }) => {
    void (async () => {
      try {
        const fn = SANDBOX_OPS[m.op] as (h: Handles, ...args: never[]) => unknown;
        process.send!({ id: m.id, result: await fn(handles, ...m.args) });
      } catch (err) {
        process.send!({ id: m.id, error: (err as Error).message });
      }
    })();
  });
  process.send({ ready: started.map((s) => ({ name: s.name, url: s.handle.url, credentials: s.handle.credentials })) });
}
