import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { findPipelineType, loadPipeline } from '../../src/core/registries.js';
import type { PipelineContext } from '../../src/core/types.js';
import { definePipeline } from '../../src/pipelines/define-pipeline.js';
import { pipelineTypes } from '../../src/pipelines/index.js';
import { registries } from '../../src/registries.js';
import type { AmbitaClient } from '../../src/upstreams/ambita/client.js';
import type { AmbitaConfig } from '../../src/upstreams/ambita/config.js';
import type { UpstreamKinds } from '../../src/upstreams/index.js';

// The type assertions run in `npm test`'s typecheck step; the runtime ones below keep the file honest.
describe('definePipeline', () => {
  it('infers the config type from the schema into plan and apply', () => {
    const def = definePipeline({
      type: 'example',
      description: 'example',
      upstreams: [],
      config: z.object({ size: z.number().default(3) }),
      async plan(ctx) {
        expectTypeOf(ctx).toEqualTypeOf<PipelineContext<{ size: number }, Pick<UpstreamKinds, never>>>();
        return { summary: { size: ctx.config.size }, actions: [], state: { n: ctx.config.size } };
      },
      async apply(_ctx, plan) {
        expectTypeOf(plan.state).toEqualTypeOf<{ n: number }>();
      },
    });
    expect(Object.isFrozen(def)).toBe(true);
    expect(def.config.parse({})).toEqual({ size: 3 });
  });

  it('types the context by the upstreams the definition declares, and by no other', () => {
    const def = definePipeline({
      type: 'example',
      description: 'example',
      upstreams: ['ambita'],
      config: z.object({}),
      async plan(ctx) {
        expectTypeOf(ctx.upstreams.ambita).toEqualTypeOf<AmbitaClient>();
        expectTypeOf(ctx.global.upstreams.ambita).toEqualTypeOf<AmbitaConfig | undefined>();
        // @ts-expect-error: the definition does not declare planviewer, so its context has no such client.
        void ctx.upstreams.planviewer;
        return { summary: {}, actions: [], state: null };
      },
      async apply() {},
    });
    expect(def.upstreams).toEqual(['ambita']);
    // @ts-expect-error: only names of registered upstreams can be declared.
    definePipeline({ type: 'x', description: 'x', upstreams: ['nope'], config: z.object({}), plan: async () => ({ summary: {}, actions: [], state: null }), apply: async () => {} });
  });
});

describe('the pipeline registry', () => {
  it('is what the composition root hands to the core', () => {
    expect(registries.pipelines).toBe(pipelineTypes);
    expect(findPipelineType(registries, 'maasplassen-availability')?.upstreams).toEqual(['maasplassen']);
    expect(findPipelineType(registries, 'nope')).toBeUndefined();
  });

  it('loads each registered type to the definition its registry line describes', async () => {
    for (const line of pipelineTypes) {
      const def = await loadPipeline(line);
      expect([def.type, def.config, def.upstreams]).toEqual([line.type, line.config, line.upstreams]);
      expect(typeof def.plan).toBe('function');
    }
  });

  it('refuses a definition whose upstreams differ from its registry line', async () => {
    const line = findPipelineType(registries, 'planviewer-mirror')!;
    await expect(loadPipeline({ ...line, upstreams: ['ambita'] })).rejects.toThrow(/does not match its registry line/);
  });
});
