/**
 * The choice a waiting Planviewer request asks a person for, read back from the request's `details` (as
 * resolve.ts stored it): a location (the address was ambiguous or tied) or an intention (several fitted the
 * rule), with the candidates to pick from. `answerPlanviewerRequest` checks an answer against them; their
 * lines are `candidateLine`'s (src/orders/candidates.ts), the same as `koppel status` shows.
 */
import { z } from 'zod';

const candidateSchema = z
  .object({ uuid: z.string(), title: z.string().optional(), score: z.number().optional(), product: z.string().optional(), properties: z.record(z.string(), z.unknown()).optional() })
  .loose();

const detailsSchema = z.object({ location: z.object({ uuid: z.string(), title: z.string() }).loose().optional(), candidates: z.array(candidateSchema) }).loose();

export interface WaitingChoice {
  /** What the answer names: `--location <uuid>` or `--intention <uuid>`. */
  kind: 'location' | 'intention';
  /** For an intention: the location it is for. */
  location?: { uuid: string; title: string };
  candidates: z.output<typeof candidateSchema>[];
}

/** The choice a request waits for, or undefined when it waits for none (or its details were written by hand). */
export function waitingChoice(status: string, details: unknown): WaitingChoice | undefined {
  if (status !== 'waiting') return undefined;
  const parsed = detailsSchema.safeParse(details);
  if (!parsed.success || parsed.data.candidates.length === 0) return undefined;
  const { location, candidates } = parsed.data;
  return location ? { kind: 'intention', location, candidates } : { kind: 'location', candidates };
}
