import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { startSandboxProcess } from '../../demo/sandbox-process.js';

/** Whether something accepts connections at `url`'s host and port. */
function listening(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url.includes('://') ? url : `tcp://${url}`);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** Polls until nothing listens at any of `urls` any more; false if something still does after ~20 s. */
async function allClosed(urls: string[]): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (!(await Promise.all(urls.map(listening))).some(Boolean)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe('the demo sandboxes in their own process', () => {
  it('listen, answer operations, and stop with stop()', async () => {
    const host = await startSandboxProcess();
    const urls = host.sandboxes.map((s) => s.sandbox.url);
    try {
      expect(host.sandboxes.map((s) => s.name)).toEqual(['maasplassen', 'planogrambuilder', 'planviewer', 'ambita']);
      expect(await Promise.all(urls.map(listening))).toEqual([true, true, true, true]);
      expect(await host.call('planogramCounts')).toEqual({ products: 0, accessories: 0, materials: 0, images: 0, stale: 0 });
      expect(await host.call('ambitaPlacedOrder', 'no such request')).toBeUndefined();
      await expect(host.call('ambitaAdvance', 42)).rejects.toThrow(/^sandbox: /);
    } finally {
      await host.stop();
    }
    expect(await Promise.all(urls.map(listening))).toEqual([false, false, false, false]);
  });

  // The demo's own process ending any way (Ctrl-C on it alone, a crash, a kill) leaves no sandbox running.
  it.each(['SIGINT', 'SIGKILL'] as const)('stop when the process that started them dies of %s', async (signal) => {
    const script = "const { startSandboxProcess } = await import('./demo/sandbox-process.ts'); const h = await startSandboxProcess(); console.log(JSON.stringify(h.sandboxes.map((s) => s.sandbox.url)));";
    const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(createInterface({ input: parent.stdout }), 'line')) as [string];
    const urls = JSON.parse(line) as string[];
    expect(await Promise.all(urls.map(listening))).toEqual([true, true, true, true]);
    parent.kill(signal);
    expect(await allClosed(urls)).toBe(true);
  });
});
