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

/** The node flags `npm run demo` starts the demo with (package.json: `tsx …flags demo/main.ts`), for the same reason. */
export function demoNodeFlags(packageJson = 'package.json'): string[] {
  const script = (JSON.parse(readFileSync(packageJson, 'utf8')) as { scripts: Record<string, string> }).scripts.demo ?? '';
  const argv = script.split(/\s+/);
  if (argv[0] !== 'tsx' || argv.at(-1) !== 'demo/main.ts') throw new Error(`${packageJson}: expected "demo": "tsx …flags demo/main.ts", got ${script}`);
  return argv.slice(1, -1);
}
