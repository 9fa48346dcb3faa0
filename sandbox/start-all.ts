/**
 * Starts every upstream's sandbox: what `koppel sandbox` and the demo run. The command reaches this module only
 * through a dynamic import of a path that exists in a checkout (src/cli/commands/sandbox.ts), so the sandbox
 * tree is never compiled into dist/ or the image.
 */
import type { StartedSandbox, StartAllSandboxes } from '../src/cli/commands/sandbox.js';
import type { SandboxHandle } from './kit.js';

/**
 * Every upstream's sandbox, in the order `koppel sandbox` prints them. Each is imported when started, so the demo
 * and the command load the gRPC server only when the PlanogramBuilder sandbox starts.
 */
const SANDBOXES: { name: string; start: (port: number) => Promise<SandboxHandle> }[] = [
  { name: 'maasplassen', start: async (port) => (await import('./maasplassen/server.js')).startMaasplassenSandbox({ port }) },
  { name: 'planogrambuilder', start: async (port) => (await import('./planogrambuilder/server.js')).startPlanogramBuilderSandbox({ port }) },
  { name: 'planviewer', start: async (port) => (await import('./planviewer/server.js')).startPlanviewerSandbox({ port }) },
  { name: 'ambita', start: async (port) => (await import('./ambita/server.js')).startAmbitaSandbox({ port }) },
];

/** Starts them on consecutive ports from `basePort` (0 = any free port each). */
export const startAllSandboxes = (async (basePort: number) => {
  const started: (StartedSandbox & { handle: SandboxHandle })[] = [];
  for (const [i, s] of SANDBOXES.entries()) started.push({ name: s.name, handle: await s.start(basePort ? basePort + i : 0) });
  return started;
}) satisfies StartAllSandboxes;
