import { readFileSync } from 'node:fs';

/**
 * The node flags the production image starts koppel with, read from the Dockerfile's ENTRYPOINT so the
 * benchmarks measure koppel as it runs in production and follow the image when it changes.
 */
export function productionNodeFlags(dockerfile = 'Dockerfile'): string[] {
  const line = readFileSync(dockerfile, 'utf8').split('\n').find((l) => l.startsWith('ENTRYPOINT '));
  if (!line) throw new Error(`${dockerfile}: no ENTRYPOINT line`);
  const argv = JSON.parse(line.slice('ENTRYPOINT '.length)) as string[];
  const script = argv.indexOf('dist/src/cli/main.js');
  if (argv[0] !== 'node' || script < 0) throw new Error(`${dockerfile}: expected ENTRYPOINT ["node", …flags, "dist/src/cli/main.js"], got ${line}`);
  return argv.slice(1, script);
}

/**
 * `npm run demo`'s two steps (package.json: `tsx scripts/build-demo.ts && node …flags dist-demo/demo/main.js`), as
 * node arguments: the build (through tsx) and the demo's own process, so the benchmark runs what npm runs.
 */
export function demoCommand(packageJson = 'package.json'): { build: string[]; demo: string[] } {
  const script = (JSON.parse(readFileSync(packageJson, 'utf8')) as { scripts: Record<string, string> }).scripts.demo ?? '';
  const [build = [], demo = []] = script.split('&&').map((part) => part.trim().split(/\s+/));
  if (build[0] !== 'tsx' || build.length !== 2 || demo[0] !== 'node' || demo.at(-1) !== 'dist-demo/demo/main.js') {
    throw new Error(`${packageJson}: expected "demo": "tsx <build script> && node …flags dist-demo/demo/main.js", got ${script}`);
  }
  return { build: ['--import', 'tsx', build[1]!], demo: demo.slice(1) };
}

/** BENCH_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"), split: what every bench adds after the image's flags. */
export function extraNodeFlags(value = process.env.BENCH_NODE_FLAGS): string[] {
  return (value ?? '').split(' ').filter(Boolean);
}
