/**
 * What PlanogramBuilder stores for a field a request leaves at its proto default. The guide defers to its
 * "Database Item properties" page, which we do not have, so the boolean defaults here are *assumed* (enabled and
 * collisions on, tiling off) and isolated in this file. koppel itself always sends explicit values.
 */
import type { Accessory, ItemByKind, ItemKind, Material, PlanoBoolean, Product } from './wire.js';

export const ASSUMED_BOOLEAN_DEFAULTS = {
  enabled: 'PAB_TRUE',
  collisions: 'PAB_TRUE',
  tile: 'PAB_FALSE',
} as const satisfies Record<string, Exclude<PlanoBoolean, 'PAB_UNSPECIFIED'>>;

const emptyClassification = () => ({ level1: '', level2: '', level3: '' });

/** Per kind, an item with every field at its documented default; built once, not per call (the row mapper asks per row). */
const DEFAULT_ITEMS: { [P in ItemKind]: (reference: string) => ItemByKind[P] } = {
  product: (reference): Product => ({
    reference, enabled: ASSUMED_BOOLEAN_DEFAULTS.enabled, classification: emptyClassification(), name: '', custom_properties: [],
    width: 0, height: 0, depth: 0, shape: '', images: [], color: '', behavior: 'PB_STANDARD', collisions: ASSUMED_BOOLEAN_DEFAULTS.collisions,
    facings_deep: 0, width_gap: 0, height_gap: 0, depth_gap: 0, lateral_offset: 0, vertical_offset: 0,
  }),
  accessory: (reference): Accessory => ({
    reference, enabled: ASSUMED_BOOLEAN_DEFAULTS.enabled, classification: emptyClassification(), name: '', custom_properties: [],
    behavior: 'AB_PANEL', width: 0, height: 0, depth: 0, shape: '', images: [], color: '', text_height: 0,
    text_color: '', collisions: ASSUMED_BOOLEAN_DEFAULTS.collisions, caption: '',
  }),
  material: (reference): Material => ({ reference, name: '', image1: '', tile: ASSUMED_BOOLEAN_DEFAULTS.tile, tile_width: 0, tile_height: 0 }),
};

/** An item with every field at its documented default (what Create stores for an all-default template). */
export function defaultItem<K extends ItemKind>(kind: K, reference = ''): ItemByKind[K] {
  return (DEFAULT_ITEMS[kind] as (reference: string) => ItemByKind[K])(reference);
}

/** Replaces PAB_UNSPECIFIED with the field's default, as the service does before storing an item. */
export function resolveDefaults<T extends object>(item: T): T {
  const out: Record<string, unknown> = { ...(item as Record<string, unknown>) };
  for (const [field, value] of Object.entries(ASSUMED_BOOLEAN_DEFAULTS)) {
    if (field in out && (out[field] === 'PAB_UNSPECIFIED' || out[field] === undefined)) out[field] = value;
  }
  return out as T;
}
