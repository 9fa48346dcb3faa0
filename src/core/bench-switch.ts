/**
 * Bench only: the tunings `npm run bench` turns off to measure what each one pays (KOPPEL_BENCH_WITHOUT=a,b).
 * Read once, here, so no other module reads the environment for it. Unset in production: every tuning is on.
 */
const off = new Set((process.env.KOPPEL_BENCH_WITHOUT ?? '').split(',').filter(Boolean));

/** The tunings a bench can turn off. */
export type Tuning = 'node-http' | 'murmur' | 'heap-growing';

export function tuningOff(name: Tuning): boolean {
  return off.has(name);
}
