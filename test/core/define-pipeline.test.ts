import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { definePipeline, type PipelineContext } from '../../src/core/types.js';
import { type PipelineConfigs, findPipelineType, loadPipeline, pipelineTypes, pipelineTypeNames } from '../../src/pipelines/index.js';
import type { MaasplassenAvailabilityConfig } from '../../src/pipelines/maasplassen-availability/config.js';

// The type assertions run in `npm test`'s typecheck step; the runtime ones below keep the file honest.
describe('definePipeline', () => {
  it('infers the config type from the schema into plan and apply', () => {
    const def = definePipeline({
      type: 'example',
      description: 'example',
      upstreams: [],
      config: z.object({ size: z.number().default(3) }),
      async plan(ctx) {
        expectTypeOf(ctx).toEqualTypeOf<PipelineContext<{ size: number }>>();
        return { summary: { size: ctx.config.size }, actions: [], state: { n: ctx.config.size } };
      },
      async apply(_ctx, plan) {
        expectTypeOf(plan.state).toEqualTypeOf<{ n: number }>();
      },
    });
    expect(Object.isFrozen(def)).toBe(true);
    expect(def.config.parse({})).toEqual({ size: 3 });
  });

  it('maps each registered type name to its settings', () => {
    expectTypeOf<PipelineConfigs['maasplassen-availability']>().toEqualTypeOf<MaasplassenAvailabilityConfig>();
    expect(pipelineTypeNames()).toContain('maasplassen-availability');
    expect(findPipelineType('maasplassen-availability')?.upstreams).toEqual(['maasplassen']);
    expect(findPipelineType('nope')).toBeUndefined();
  });

  it('loads each registered type to the definition its registry line describes', async () => {
    for (const line of pipelineTypes) {
      const def = await loadPipeline(line);
      expect([def.type, def.config, def.upstreams]).toEqual([line.type, line.config, line.upstreams]);
      expect(typeof def.plan).toBe('function');
    }
  });

  it('refuses a definition whose upstreams differ from its registry line', async () => {
    const line = findPipelineType('planviewer-mirror')!;
    await expect(loadPipeline({ ...line, upstreams: ['ambita'] })).rejects.toThrow(/does not match its registry line/);
  });
});
