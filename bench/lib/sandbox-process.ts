import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface SandboxProcess {
  url(name: string): string;
  credentials(name: string): Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Runs `koppel sandbox --port 0` in its own process, so a benchmark's peak RSS and CPU are koppel's alone.
 * Parses the printed addresses and credentials.
 */
export async function startSandboxProcess(): Promise<SandboxProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'sandbox', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const urls = new Map<string, string>();
  const creds = new Map<string, Record<string, string>>();
  let current = '';
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`sandbox exited early (${code})`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('Ctrl-C')) return resolve();
      const head = /^(\S+)\s+(\S+)$/.exec(line);
      if (head) {
        current = head[1]!;
        urls.set(current, head[2]!);
        creds.set(current, {});
        return;
      }
      const kv = /^\s+([\w-]+): (.*)$/.exec(line);
      if (kv && current) creds.get(current)![kv[1]!] = kv[2]!;
    });
  });
  child.removeAllListeners('exit');
  return {
    url: (name) => urls.get(name) ?? '',
    credentials: (name) => creds.get(name) ?? {},
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Peak resident set size of this process so far, in MiB. */
export function peakRssMiB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/** The line `bench/run.ts` collects from each benchmark. */
export function reportResult(result: Record<string, unknown>): void {
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
}
