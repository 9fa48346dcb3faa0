// What a benchmark reports of itself: its own peak RSS, and the result line `bench/run.ts` collects.

/** Peak resident set size of this process so far, in MiB. */
export function peakRssMiB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/** The line `bench/run.ts` collects from each benchmark. */
export function reportResult(result: Record<string, unknown>): void {
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
}
