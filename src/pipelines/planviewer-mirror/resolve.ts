/**
 * Resolves a request to the one intention koppel would order, with read-only calls (search, intentions):
 * used by `plan` (so `--dry-run` shows exactly what would be ordered) and carried into `apply`.
 */
import type { Intention } from '../../upstreams/planviewer/api.js';
import type { PlanviewerClient } from '../../upstreams/planviewer/client.js';
import { chooseIntention } from './intention-rule.js';
import { chooseLocation, describeLocations, parseAddress, parseLot, planviewerRequestSchema, searchFor } from './mapping.js';

export interface ResolvedOrder {
  kind: 'order';
  location: { uuid: string; title: string };
  product: string;
  intention: Intention;
}

/** `wait`: a human must choose; `fail`: nothing to order (final); `invalid`: the payload itself is wrong. */
export type Resolution =
  | ResolvedOrder
  | { kind: 'wait'; reason: string; details: Record<string, unknown> }
  | { kind: 'fail'; reason: string }
  | { kind: 'invalid'; reason: string; field: string };

export async function resolveRequest(
  client: PlanviewerClient,
  payload: unknown,
  defaultRule: string,
  signal: AbortSignal | undefined,
): Promise<Resolution> {
  const parsed = planviewerRequestSchema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { kind: 'invalid', field: issue?.path.join('.') || 'request', reason: `invalid request: ${issue?.message ?? 'unreadable'}` };
  }
  const req = parsed.data;
  let location: { uuid: string; title: string };
  if (req.location_uuid) {
    location = { uuid: req.location_uuid, title: req.address ?? req.lot ?? req.location_uuid };
  } else {
    const address = req.address ? parseAddress(req.address) : undefined;
    const lot = req.lot ? parseLot(req.lot) : undefined;
    if (req.address && !address) return { kind: 'invalid', field: 'address', reason: `no postcode and house number in "${req.address}"` };
    if (req.lot && !lot) return { kind: 'invalid', field: 'lot', reason: `expected "<gemeente> <sectie> <perceelnummer>", got "${req.lot}"` };
    const q = address ? { address } : { lot: lot! };
    const { entity, query } = searchFor(q);
    const results = await client.search(entity, query, { signal });
    const choice = chooseLocation(results, q);
    if (!choice.ok) {
      if (!choice.wait) return { kind: 'fail', reason: choice.reason };
      return {
        kind: 'wait',
        reason: `${choice.reason} (koppel order planviewer resolve <request> --location <uuid>)`,
        details: { candidates: describeLocations(choice.candidates) },
      };
    }
    location = { uuid: choice.location.uuid, title: choice.location.title };
  }
  const intentions = await client.intentions(location.uuid, req.product, { signal });
  if (intentions.length === 0) return { kind: 'fail', reason: `Planviewer offers no "${req.product}" for ${location.title}: nothing to order` };
  const rule = req.intention_rule ?? defaultRule;
  const chosen = chooseIntention(intentions, rule);
  if (!chosen.ok) {
    return {
      kind: 'wait',
      reason: `${chosen.reason} for ${location.title}`,
      details: { location, candidates: chosen.candidates.map((i) => ({ uuid: i.uuid, product: i.product, properties: i.properties })) },
    };
  }
  return { kind: 'order', location, product: req.product, intention: chosen.intention };
}
