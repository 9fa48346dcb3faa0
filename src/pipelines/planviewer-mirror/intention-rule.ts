/**
 * The rule that picks one product intention to order. Planviewer may offer several for one location and
 * product (one per zoning plan, say); ordering the wrong one costs money, so anything but a single match
 * makes the request wait for a human.
 */
import { z } from 'zod';
import type { Intention } from '../../upstreams/planviewer/api.js';

export type IntentionRule = { kind: 'only' } | { kind: 'newest' } | { kind: 'uuid'; uuid: string } | { kind: 'property'; key: string; value: string };

export function parseIntentionRule(text: string): IntentionRule | undefined {
  const t = text.trim();
  if (t === 'only') return { kind: 'only' };
  if (t === 'newest') return { kind: 'newest' };
  if (t.startsWith('uuid:') && t.length > 5) return { kind: 'uuid', uuid: t.slice(5).trim() };
  const eq = t.indexOf('=');
  if (eq > 0 && eq < t.length - 1) return { kind: 'property', key: t.slice(0, eq).trim(), value: t.slice(eq + 1).trim() };
  return undefined;
}

export const intentionRuleSchema = z
  .string()
  .refine((v) => parseIntentionRule(v) !== undefined, 'expected "only", "newest", "uuid:<uuid>" or "<property>=<value>"')
  .describe('how to pick the intention to order');

export type IntentionChoice = { ok: true; intention: Intention } | { ok: false; reason: string; candidates: Intention[] };

/** Applies the rule; `ok: false` carries why nothing was chosen (none, or several) and the candidates. */
export function chooseIntention(intentions: readonly Intention[], ruleText: string): IntentionChoice {
  const rule = parseIntentionRule(ruleText);
  if (!rule) return { ok: false, reason: `invalid intention rule "${ruleText}"`, candidates: [...intentions] };
  let matches: Intention[];
  switch (rule.kind) {
    case 'only':
      matches = [...intentions];
      break;
    case 'uuid':
      matches = intentions.filter((i) => i.uuid === rule.uuid);
      break;
    case 'property':
      matches = intentions.filter((i) => String(i.properties[rule.key] ?? '') === rule.value);
      break;
    case 'newest': {
      const dated = intentions.filter((i) => typeof i.properties.datum === 'string');
      const newest = dated.map((i) => String(i.properties.datum)).sort().at(-1);
      matches = newest === undefined ? (intentions.length === 1 ? [...intentions] : []) : dated.filter((i) => i.properties.datum === newest);
      break;
    }
  }
  if (matches.length === 1) return { ok: true, intention: matches[0]! };
  const reason =
    matches.length === 0
      ? `no intention matches rule "${ruleText}" (${intentions.length} offered)`
      : `${matches.length} intentions match rule "${ruleText}"; choose one (koppel order planviewer resolve <request> --intention <uuid>)`;
  return { ok: false, reason, candidates: matches.length === 0 ? [...intentions] : matches };
}
