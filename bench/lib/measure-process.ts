import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** What one measured child process did. */
export interface ProcessFigures {
  code: number;
  stdout: string;
  stderr: string;
  /** High-water mark of the child's resident set (VmHWM), read until it exited; MiB. */
  peakRssMiB: number;
  /** Wall time from spawn to exit, seconds. */
  wallSeconds: number;
  /** User + system CPU of the child (all its threads), read until it exited; seconds. Load moves it far less than wall time. */
  cpuSeconds: number;
  /** The part of cpuSeconds spent on the child's main thread (JavaScript, GC, syscalls made from JS); seconds. */
  mainThreadCpuSeconds: number;
}

const MiB_KB = 1024;

const TICKS_PER_SECOND = 100; // Linux's USER_HZ

/** utime + stime of a process (or, with `tid`, of one of its threads) from /proc, in seconds. */
export function cpuOf(pid: number, tid?: number): number | undefined {
  try {
    const fields = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined; // exited between two samples
  }
}

function vmHwmKb(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined; // exited between two samples
  }
}

/**
 * Runs `command args` as its own process and reads its peak RSS from the kernel (`/proc/<pid>/status`
 * VmHWM, a high-water mark, so no peak falls between two samples). The child is the measured program
 * itself (no shell, no tsx loader), so the figure is what production would see.
 */
export async function measureProcess(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<ProcessFigures> {
  const started = performance.now();
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let hwm = 0;
  let cpu = 0;
  let mainCpu = 0;
  const timer = setInterval(() => {
    hwm = Math.max(hwm, vmHwmKb(child.pid!) ?? 0);
    cpu = cpuOf(child.pid!) ?? cpu;
    mainCpu = cpuOf(child.pid!, child.pid!) ?? mainCpu;
  }, 5);
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  clearInterval(timer);
  return { code, stdout, stderr, peakRssMiB: Math.round(hwm / MiB_KB), wallSeconds: (performance.now() - started) / 1000, cpuSeconds: cpu, mainThreadCpuSeconds: mainCpu };
}

/** `npm run build` (tsc -p tsconfig.build.json): the measured koppel is the built JavaScript under plain node. */
export function buildDist(): void {
  const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) {
    // tsc still emits on type errors (elsewhere in a shared tree); say so and measure what was emitted.
    process.stderr.write(`build reported errors (measuring the emitted JS anyway):\n${r.stdout.toString().slice(0, 2000)}\n`);
  }
}

/** Best (highest) and median of repeated figures, for machines shared with other work. */
export function bestAndMedian(values: number[], higherIsBetter = true): { best: number; median: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { best: higherIsBetter ? sorted.at(-1)! : sorted[0]!, median };
}

/**
 * Each round's koppel figure ÷ the same round's raw figure (rounds in run order): how far the ratio moves with the
 * machine, beside the headline median ÷ median. Rates, so higher is better on both sides.
 */
export function roundRatios(koppel: number[], raw: number[]): { min: number; median: number; max: number; rounds: number[] } {
  const rounds = koppel.slice(0, raw.length).map((k, i) => Number((k / raw[i]!).toFixed(2)));
  const { median } = bestAndMedian(rounds);
  return { min: Math.min(...rounds), median: Number(median.toFixed(2)), max: Math.max(...rounds), rounds };
}

/** The line the benches print for roundRatios; `of` names the two sides divided. */
export function roundRatiosLine(label: string, r: ReturnType<typeof roundRatios>, of = 'koppel ÷ raw'): string {
  return `${label}, per round (${of} of the same round): ${r.rounds.join(', ')}; min ${r.min}, median ${r.median}, max ${r.max}`;
}
