/**
 * Starts demo/sandbox-host.ts in a child process and talks to it over IPC: the sandboxes' addresses and
 * credentials, their operations, and a stop. The child exits when this process closes the channel or dies,
 * so no sandbox outlives the demo. Benchmarks start the sandboxes with it too, so that a run's peak RSS
 * and CPU are koppel's alone.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { SandboxOps } from './sandbox-host.js';

/** A sandbox as the demo steps see it: where it listens and its demo credentials. */
export interface RemoteSandbox {
  readonly url: string;
  readonly credentials: Record<string, string | number>;
}

type Tail<T extends unknown[]> = T extends [unknown, ...infer R] ? R : never;
export type SandboxCall = <K extends keyof SandboxOps>(op: K, ...args: Tail<Parameters<SandboxOps[K]>>) => Promise<Awaited<ReturnType<SandboxOps[K]>>>;

export interface SandboxProcess {
  readonly sandboxes: { name: string; sandbox: RemoteSandbox }[];
  readonly call: SandboxCall;
  /** Stops the sandboxes and waits for the child to exit. */
  stop(): Promise<void>;
}

const readySchema = z.object({
  ready: z.array(z.object({ name: z.string(), url: z.string(), credentials: z.record(z.string(), z.union([z.string(), z.number()])) })),
});
const replySchema = z.object({ id: z.number(), result: z.unknown().optional(), error: z.string().optional() });

// The host runs as this module does: TypeScript through tsx from the sources (tests), plain JS from dist-demo/.
const fromSource = import.meta.url.endsWith('.ts');
const HOST = fileURLToPath(new URL(`./sandbox-host.${fromSource ? 'ts' : 'js'}`, import.meta.url));

export async function startSandboxProcess(): Promise<SandboxProcess> {
  const child = fork(HOST, [], { execArgv: fromSource ? ['--import', 'tsx'] : [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<z.infer<typeof readySchema>>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the sandbox process exited before it was ready (${code})`)));
    child.once('message', (m) => resolve(readySchema.parse(m)));
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  child.on('message', (m) => {
    const reply = replySchema.parse(m);
    const p = pending.get(reply.id);
    pending.delete(reply.id);
    if (reply.error !== undefined) p?.reject(new Error(`sandbox: ${reply.error}`));
    else p?.resolve(reply.result);
  });
  child.once('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`the sandbox process exited (${code})`));
    pending.clear();
  });
  const call = ((op: string, ...args: unknown[]) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.send({ id, op, args });
    })) as SandboxCall;
  return {
    sandboxes: ready.ready.map(({ name, ...sandbox }) => ({ name, sandbox })),
    call,
    async stop() {
      if (child.connected) child.disconnect();
      await exited;
    },
  };
}
