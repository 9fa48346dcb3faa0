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

/**
 * The building block under the catalog import: CreateProduct with prebuilt messages and nothing else,
 * `concurrency` in flight, plain @grpc/grpc-js. The ceiling koppel's import is compared with.
 */
export async function rawUnaryRate(sandbox: SandboxAddress, concurrency: number, n: number): Promise<{ seconds: number; rate: number }> {
  const service = loadPlanoService({ package: 'planoapiv1', service: 'PlanoAPI' });
  const client = new grpc.Client(sandbox.endpoint, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': MAX_MESSAGE_BYTES });
  const unary = (method: string, req: object) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const def = service[method]!;
      client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, req, new grpc.Metadata(), { deadline: Date.now() + 30_000 }, (err, v) =>
        err ? reject(err) : resolve(v as Record<string, unknown>),
      );
    });
  // A second sign-in revokes koppel's session: run this only when koppel is done with the sandbox.
  const { access_token } = await unary('SignIn', { account_id: sandbox.account_id, username: sandbox.username, password: sandbox.password });
  const template = { ...defaultItem('product'), name: 'raw', width: 10, height: 20, depth: 5, images: ['raw.png'], color: '0xFF336699' };
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        await unary('CreateProduct', { product: { ...template, reference: `RAW-${i}` }, access_token });
      }
    }),
  );
  const seconds = (performance.now() - t) / 1000;
  client.close();
  return { seconds, rate: n / seconds };
}
