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

/** An item with every field at its documented default (what Create stores for an all-default template). */
export function defaultItem<K extends ItemKind>(kind: K, reference = ''): ItemByKind[K] {
  const d = ASSUMED_BOOLEAN_DEFAULTS;
  const items: { [P in ItemKind]: () => ItemByKind[P] } = {
    product: (): Product => ({
      reference, enabled: d.enabled, classification: emptyClassification(), name: '', custom_properties: [],
      width: 0, height: 0, depth: 0, shape: '', images: [], color: '', behavior: 'PB_STANDARD', collisions: d.collisions,
      facings_deep: 0, width_gap: 0, height_gap: 0, depth_gap: 0, lateral_offset: 0, vertical_offset: 0,
    }),
    accessory: (): Accessory => ({
      reference, enabled: d.enabled, classification: emptyClassification(), name: '', custom_properties: [],
      behavior: 'AB_PANEL', width: 0, height: 0, depth: 0, shape: '', images: [], color: '', text_height: 0,
      text_color: '', collisions: d.collisions, caption: '',
    }),
    material: (): Material => ({ reference, name: '', image1: '', tile: d.tile, tile_width: 0, tile_height: 0 }),
  };
  return items[kind]();
}

/** Replaces PAB_UNSPECIFIED with the field's default, as the service does before storing an item. */
export function resolveDefaults<T extends object>(item: T): T {
  const out: Record<string, unknown> = { ...(item as Record<string, unknown>) };
  for (const [field, value] of Object.entries(ASSUMED_BOOLEAN_DEFAULTS)) {
    if (field in out && (out[field] === 'PAB_UNSPECIFIED' || out[field] === undefined)) out[field] = value;
  }
  return out as T;
}
