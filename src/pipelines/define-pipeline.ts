import { type PipelineContext, pipelineDefiner, type WebhookContext } from '../core/types.js';
import type { UpstreamKinds, UpstreamName } from '../upstreams/index.js';

/** `definePipeline` over this program's upstreams: the context holds the clients the definition declares. */
export const definePipeline = pipelineDefiner<UpstreamKinds>();

/** The run context of a pipeline with settings `Config` that declares the upstreams `Names`. */
export type ContextOf<Config, Names extends UpstreamName> = PipelineContext<Config, Pick<UpstreamKinds, Names>>;

/** The webhook context of such a pipeline. */
export type WebhookContextOf<Config, Names extends UpstreamName> = WebhookContext<Config, Pick<UpstreamKinds, Names>>;
