/**
 * planogram-catalog under SIGKILL: 20 runs, each on a new version of the catalog (names and pack shots flip
 * between two values, so some go back to an older one), each killed at a seeded moment — on the Nth mutating
 * call the sandbox receives (the call still takes effect, its answer is lost) — then one run to completion.
 * Proves: exactly one remote item per valid reference, every item and image equal to what a clean run of the
 * last catalog produces, nothing stale (thumbnails regenerated after the last upload), an idle re-run, run
 * records that tell the truth, and no secret or issued token in any log.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyPng, writeExampleCatalog } from '../../demo/planogram-catalog-data.js';
import { type PlanogramBuilderSandbox, startPlanogramBuilderSandbox } from '../../sandbox/planogrambuilder/server.js';
import { createRandom } from '../../sandbox/kit.js';
import { MUTATING_METHODS, type MethodName } from '../../src/upstreams/planogrambuilder/wire.js';
import { createTestApp } from '../helpers/app.js';
import { hasPostgres } from '../helpers/database.js';
import { catalogPipeline, sandboxUpstreamConfig } from '../planogram/plano-fixtures.js';
import { between, type ChildRun, type CrashWorld, createCrashWorld, expectTruthfulRunRecords } from './crash-harness.js';

const KILLS = Number(process.env.KOPPEL_CRASH_RUNS ?? 20);
const SEED = Number(process.env.KOPPEL_CRASH_SEED ?? 20_240_612);
const PRODUCTS = 60;
const mutating = new Set<MethodName>(MUTATING_METHODS);

/** Everything the service holds, in a comparable form (items by kind and reference, files by name and sha256). */
function remoteState(sandbox: PlanogramBuilderSandbox) {
  const byRef = <T extends { reference: string }>(items: T[]) => [...items].sort((a, b) => a.reference.localeCompare(b.reference));
  return {
    product: byRef(sandbox.items('product')),
    accessory: byRef(sandbox.items('accessory')),
    material: byRef(sandbox.items('material')),
    files: sandbox.files().map((f) => `${f.name.toLowerCase()} ${f.sha256}`).sort(),
  };
}

describe.skipIf(!hasPostgres)('planogram-catalog killed with SIGKILL', () => {
  let sandbox: PlanogramBuilderSandbox;
  let world: CrashWorld;
  beforeAll(async () => {
    sandbox = await startPlanogramBuilderSandbox();
    world = await createCrashWorld('catalog');
  });
  afterAll(async () => {
    await world?.close();
    await sandbox?.close();
  });

  it(`converges to the last catalog after ${KILLS} killed runs (seed ${SEED})`, async () => {
    const catalog = await writeExampleCatalog({ dir: world.dir, products: PRODUCTS, accessories: 4, materials: 2, seed: SEED });
    const pipeline = catalogPipeline(world.dir);
    const upstream = sandboxUpstreamConfig(sandbox, { rate: { concurrency: 2, per_second: 10_000 } });
    await world.configure({ log: { level: 'debug' }, upstreams: { planogrambuilder: upstream }, pipelines: [pipeline] });

    // The two values each name and each pack shot flips between.
    const lines = iconv.decode(await readFile(catalog.products), 'win1252').split('\r\n');
    const images = lines.slice(1).flatMap((l) => l.split(';')[10] || []);
    const imageA = new Map(await Promise.all(images.map(async (n) => [n, await readFile(join(catalog.images, n))] as const)));
    const random = createRandom(SEED);
    const writeVersion = async () => {
      const next = lines.map((line, i) => {
        if (i === 0 || line === '' || random() < 0.6) return line;
        const cells = line.split(';');
        cells[1] = `${cells[1]} (B)`;
        return cells.join(';');
      });
      await writeFile(catalog.products, iconv.encode(next.join('\r\n'), 'win1252'));
      for (const name of images) {
        await writeFile(join(catalog.images, name), random() < 0.8 ? imageA.get(name)! : tinyPng(name.length, 7, 9));
      }
    };

    const runs: ChildRun[] = [];
    for (let i = 0; i < KILLS; i++) {
      await writeVersion();
      const at = between(random, 1, 30);
      let seen = 0;
      runs.push(await world.run((kill) => sandbox.onCall((m) => mutating.has(m) && ++seen === at && kill())));
    }
    const kills = runs.filter((r) => r.killed).length;
    expect(kills).toBeGreaterThanOrEqual(KILLS / 2);

    const final = await world.run();
    runs.push(final);
    expect(final.outcome).toBe('succeeded');
    expect(final.counts).toMatchObject({ seen: PRODUCTS + 6, failed: 0, rejected: 0 });
    expect(final.counts!.created! + final.counts!.updated! + final.counts!.unchanged!).toBe(PRODUCTS + 6);

    // Exactly one remote item per valid reference, nothing stale.
    const state = remoteState(sandbox);
    expect(state.product).toHaveLength(PRODUCTS);
    expect(new Set(state.product.map((p) => p.reference.toLowerCase())).size).toBe(PRODUCTS);
    expect(state.accessory).toHaveLength(4);
    expect(state.material).toHaveLength(2);
    expect(sandbox.staleItems()).toEqual([]);

    // The same as a clean run of the last catalog on a fresh service and database: nothing lost, nothing old.
    const reference = await startPlanogramBuilderSandbox();
    const app = await createTestApp('postgres', () => ({ upstreams: { planogrambuilder: sandboxUpstreamConfig(reference) }, pipelines: [pipeline] }));
    try {
      expect((await app.runner.run('catalog')).outcome).toBe('succeeded');
      expect(state).toEqual(remoteState(reference));
    } finally {
      await app.dispose();
      await reference.close();
    }

    // A re-run changes nothing.
    sandbox.resetCalls();
    const idle = await world.run();
    runs.push(idle);
    expect(idle.counts).toMatchObject({ unchanged: PRODUCTS + 6, created: 0, updated: 0 });
    expect(sandbox.mutatingCalls()).toBe(0);

    await expectTruthfulRunRecords(world.db, 'catalog', runs);
    world.expectNoSecretsInLogs(sandbox.state.issuedTokens);
    console.info(`[crash planogram] seed ${SEED}: ${kills} kills`);
  });
});
