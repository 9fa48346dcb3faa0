import * as grpc from '@grpc/grpc-js';
import { defaultItem } from '../../src/upstreams/planogrambuilder/defaults.js';
import { loadPlanoService, MAX_MESSAGE_BYTES } from '../../src/upstreams/planogrambuilder/proto.js';

/** Where a PlanogramBuilder sandbox listens, and its demo credentials. */
export interface SandboxAddress {
  endpoint: string;
  account_id: string;
  username: string;
  password: string;
}

type Unary = (method: string, req: object) => Promise<Record<string, unknown>>;

/** A plain @grpc/grpc-js session on the sandbox. A second sign-in revokes koppel's: use it when koppel is done. */
async function rawSession(sandbox: SandboxAddress): Promise<{ unary: Unary; accessToken: string; close(): void }> {
  const service = loadPlanoService({ package: 'planoapiv1', service: 'PlanoAPI' });
  const client = new grpc.Client(sandbox.endpoint, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': MAX_MESSAGE_BYTES });
  const unary: Unary = (method, req) =>
    new Promise((resolve, reject) => {
      const def = service[method]!;
      client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, req, new grpc.Metadata(), { deadline: Date.now() + 30_000 }, (err, v) =>
        err ? reject(err) : resolve(v as Record<string, unknown>),
      );
    });
  const { access_token } = await unary('SignIn', { account_id: sandbox.account_id, username: sandbox.username, password: sandbox.password });
  return { unary, accessToken: access_token as string, close: () => client.close() };
}

/**
 * The building block under the catalog import: CreateProduct with prebuilt messages and nothing else,
 * `concurrency` in flight, plain @grpc/grpc-js. The ceiling koppel's import is compared with.
 */
export async function rawUnaryRate(sandbox: SandboxAddress, concurrency: number, n: number): Promise<{ seconds: number; rate: number }> {
  const { unary, accessToken, close } = await rawSession(sandbox);
  const template = { ...defaultItem('product'), name: 'raw', width: 10, height: 20, depth: 5, images: ['raw.png'], color: '0xFF336699' };
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        await unary('CreateProduct', { product: { ...template, reference: `RAW-${i}` }, access_token: accessToken });
      }
    }),
  );
  const seconds = (performance.now() - t) / 1000;
  close();
  return { seconds, rate: n / seconds };
}

/**
 * The building block under a no-change re-run's remote side: every product read with ListProducts in pages of
 * `pageSize`, `inFlight` pages at a time (as koppel's client does), decoded and dropped. Nothing else.
 */
export async function rawListSeconds(sandbox: SandboxAddress, pageSize: number, inFlight: number): Promise<{ seconds: number; items: number }> {
  const { unary, accessToken, close } = await rawSession(sandbox);
  const t = performance.now();
  const total = (await unary('ListProducts', { start_ind: 0, end_ind: 0, access_token: accessToken })).total_size as number;
  let next = 0;
  let items = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) {
        const start = next;
        next = Math.min(next + pageSize, total);
        const page = await unary('ListProducts', { start_ind: start, end_ind: next, access_token: accessToken });
        if ((page.error as { code: string }).code !== 'PAE_OK') throw new Error(`raw ListProducts [${start}, ${next}): ${JSON.stringify(page.error)}`);
        items += (page.products as unknown[]).length;
      }
    }),
  );
  const seconds = (performance.now() - t) / 1000;
  close();
  return { seconds, items };
}
