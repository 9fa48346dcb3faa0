import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CliOutput } from '../../src/cli/cli-args.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { main } from '../../src/cli/program.js';
import { ROOT, writeConfig } from '../fixtures/koppel-process.js';

/**
 * `koppel config check` reads and validates every pipeline's mapping files (parse and schema), so a typo in
 * `mappings/*.yaml` is found when the config is checked, not at the next scheduled run. Shown for the two
 * pipeline types with mapping files: a Maasplassen column mapping and a catalog mapping.
 */
describe('config check validates the mapping files', () => {
  let dir: string;
  const paths = { boats: '', products: '', accessories: '' };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'koppel-config-mappings-'));
    paths.boats = join(dir, 'boats.yaml');
    paths.products = join(dir, 'products.yaml');
    paths.accessories = join(dir, 'accessories.yaml');
  });
  // Each test starts from the shipped mappings and breaks its own.
  beforeEach(async () => {
    await copyFile(join(ROOT, 'mappings/maasplassen-availability.yaml'), paths.boats);
    await copyFile(join(ROOT, 'mappings/products.yaml'), paths.products);
    await copyFile(join(ROOT, 'mappings/accessories.yaml'), paths.accessories);
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  async function check(): Promise<{ code: number; out: string; err: string }> {
    const config = await writeConfig(join(dir, 'koppel.yaml'), {
      database: { url: 'postgres://nobody@127.0.0.1:9/none' }, // config check never connects
      upstreams: {
        maasplassen: { base_url: 'http://127.0.0.1:9/api/v2', apikey: 'pub.demo', secret: 'sk.demo-secret', company_id: 1 },
        planogrambuilder: { endpoint: '127.0.0.1:9', tls: false, account_id: '1', username: 'u', password: 'p' },
      },
      pipelines: [
        { name: 'boats', type: 'maasplassen-availability', source: { csv: join(dir, 'a.csv') }, mapping: paths.boats },
        {
          name: 'catalog',
          type: 'planogram-catalog',
          source: { products: join(dir, 'products.csv'), accessories: join(dir, 'accessories.csv') },
          mapping: { products: paths.products, accessories: paths.accessories },
        },
      ],
    });
    const captured = { out: '', err: '' };
    const io: CliOutput = { out: (t) => void (captured.out += t), err: (t) => void (captured.err += t) };
    const code = await main(['node', 'koppel', '--config', config, 'config', 'check'], io);
    return { code, ...captured };
  }

  async function replaceIn(path: string, from: string, to: string): Promise<void> {
    const text = await readFile(path, 'utf8');
    expect(text).toContain(from);
    await writeFile(path, text.replace(from, to));
  }

  it('passes the shipped mappings', async () => {
    const res = await check();
    expect(res.err).toBe('');
    expect(res.code).toBe(EXIT.ok);
    expect(res.out).toContain(': valid\n');
  });

  it('names the file and the key path of a typo in each pipeline type, with the config-error exit code', async () => {
    await replaceIn(paths.boats, 'amount_unit: cents', 'amount_unti: cents');
    await replaceIn(paths.products, '    shape: Vorm', '    shpae: Vorm');
    const res = await check();
    expect(res.code).toBe(EXIT.usage);
    expect(res.out).toBe(''); // an invalid config is not printed
    expect(res.err).toMatch(new RegExp(`pipelines\\[0\\] \\(boats\\): mapping ${paths.boats}:\\n.*amount_unti`));
    expect(res.err).toMatch(new RegExp(`pipelines\\[1\\] \\(catalog\\): mapping ${paths.products}:\\n.*products\\.fields\\.shpae: expected one of`));
  });

  it('names a mapping file that is not YAML, and one that is missing', async () => {
    await writeFile(paths.boats, 'boat: [unclosed\n');
    await rm(paths.accessories);
    const res = await check();
    expect(res.code).toBe(EXIT.usage);
    expect(res.err).toContain(`pipelines[0] (boats): mapping ${paths.boats}: `);
    expect(res.err).toContain(`pipelines[1] (catalog): mapping ${paths.accessories}: cannot read: ENOENT`);
  });
});
