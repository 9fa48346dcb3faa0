import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { dateRange, exampleAvailability, writeAvailabilityCsv } from './availability-data.js';
import type { DemoStep } from './demo-env.js';

const BOATS = ['91', '92', '93', '94', '95', '96', '97', '98', '99'];

/** Deliberately bad rows, so the demo shows how rejections are reported. */
const BAD_ROWS = [
  '91,2027-02-30,ja,Hele dag,Ganzer Tag,9500,,,', // no such date
  '92,2027-05-01,ja,Hele dag,Ganzer Tag,95.5,,,', // cents not a whole number
  '4711,2027-05-01,ja,Hele dag,Ganzer Tag,9500,,,', // boat not in the fleet
];

/**
 * Pushes boat availability from `data/demo/inbox/availability.csv` (written on the first run; edit a price and
 * run the demo again to see exactly that boat-date pushed).
 */
export const maasplassenAvailabilityDemo: DemoStep = async (env) => {
  const sandbox = env.sandboxes.maasplassen!;
  const csv = join(env.dir, 'inbox', 'availability.csv');
  if (!existsSync(csv)) {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(env.dir, 'inbox'), { recursive: true });
    await writeAvailabilityCsv(csv, exampleAvailability(BOATS, dateRange('2027-05-01', 30)), BAD_ROWS);
  }
  const result = await env.withApp(
    {
      upstreams: {
        maasplassen: { base_url: sandbox.url, apikey: sandbox.credentials.apikey, secret: sandbox.credentials.secret, company_id: sandbox.credentials.company_id },
      },
      pipelines: [{ name: 'demo-boats', type: 'maasplassen-availability', source: { csv }, chunk_size: 100 }],
    },
    (app) => app.runner.run('demo-boats'),
  );
  const c = result.counts;
  const lines = [
    `maasplassen-availability (${csv})`,
    `  pushed ${c.created + c.updated} (new ${c.created}, changed ${c.updated}), unchanged ${c.unchanged}, rejected ${c.rejected}, failed ${c.failed} → ${result.outcome}`,
  ];
  for (const r of result.rejections ?? []) lines.push(`  rejected line ${r.line ?? '?'}${r.field ? ` (${r.field})` : ''}: ${r.reason}`);
  if (result.error) lines.push(`  error: ${result.error.message}`);
  return lines;
};
