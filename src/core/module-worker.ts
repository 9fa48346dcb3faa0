import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts the worker thread whose entry module is `name` beside the module at `here` (its import.meta.url): the
 * compiled `<name>.js` in a build, or `<name>.ts` through tsx when koppel runs from its TypeScript sources (tests,
 * `npm run koppel`, the demo).
 */
export function startModuleWorker(here: string, name: string, options: WorkerOptions): Worker {
  const fromSource = here.endsWith('.ts');
  const entry = new URL(`./${name}${fromSource ? '.ts' : '.js'}`, here);
  if (!fromSource) return new Worker(entry, options);
  // Resolved here, not in the worker: an eval'd worker resolves packages from the working directory.
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}
