/**
 * One catalog file read as mapped rows, streamed. The plan reads it once (and a second time only when image
 * problems or refreshes must be traced back to rows); apply reads it again to send the items, so no item is held
 * in memory between plan and apply.
 */
import { resolve } from 'node:path';
import { readCsv } from '../../core/csv-source.js';
import { ConfigError } from '../../core/errors.js';
import type { AnyItem, ItemKind } from '../../upstreams/planogrambuilder/wire.js';
import { itemKey } from './compare.js';
import type { PlanogramCatalogConfig } from './config.js';
import { type KindMapping, loadMappingFile, SECTION_OF } from './mapping.js';
import type { ReferenceIndex } from './reference-index.js';
import { type MappedRow, RowMapper } from './row-mapper.js';

export const KINDS: ItemKind[] = ['product', 'accessory', 'material'];

/** One configured catalog: its kind, file, mapping and CSV settings. */
export interface CatalogSource {
  kind: ItemKind;
  file: string;
  mapping: KindMapping;
  csv: PlanogramCatalogConfig['csv'];
}

export type CatalogRow = { line: number; error: string; mapped?: undefined } | { line: number; error?: undefined; mapped: MappedRow };

/** Every record of the file: CSV-level errors as `error`, the rest mapped. The header is checked once. */
export async function* catalogRows(src: CatalogSource): AsyncGenerator<CatalogRow> {
  const mapper = new RowMapper(src.kind, src.mapping);
  let header = false;
  for await (const row of readCsv(src.file, { ...src.csv, ...src.mapping.csv })) {
    if (row.error !== undefined) {
      yield { line: row.line, error: row.error };
      continue;
    }
    if (!header) {
      mapper.checkHeader(Object.keys(row.values), src.file);
      header = true;
    }
    yield { line: row.line, mapped: mapper.map(row.values) };
  }
}

/** A row the plan accepted: the valid first occurrence of its reference. */
export interface AcceptedRow {
  line: number;
  slot: number;
  key: string;
  reference: string;
  item: AnyItem;
}

/**
 * The rows the plan accepted, read again: valid, and on the line where the plan first saw the reference (later
 * duplicates were rejected). A file edited since the plan yields only rows that still match it. For a file the
 * plan did not read (`learn`: its snapshot said nothing changed), the first valid row of each reference is
 * accepted and recorded now, as the plan would have.
 */
export async function* acceptedRows(src: CatalogSource, index: ReferenceIndex, stop?: AbortSignal, learn = false): AsyncGenerator<AcceptedRow> {
  for await (const row of catalogRows(src)) {
    if (stop?.aborted) return;
    // Like the plan: a reference counts as seen on its first row, valid or not.
    if (learn && row.mapped?.reference) index.see(row.mapped.reference.toLowerCase(), row.line);
    if (!row.mapped?.ok) continue;
    const slot = index.slot(row.mapped.reference.toLowerCase());
    if (slot === undefined || index.line(slot) !== row.line) continue;
    yield { line: row.line, slot, key: itemKey(src.kind, row.mapped.reference), reference: row.mapped.reference, item: row.mapped.item };
  }
}

/** The configured catalogs with their mappings, in kind order. */
export async function loadSources(config: PlanogramCatalogConfig): Promise<CatalogSource[]> {
  const out: CatalogSource[] = [];
  const files = new Map<string, Awaited<ReturnType<typeof loadMappingFile>>>();
  for (const kind of KINDS) {
    const section = SECTION_OF[kind];
    const source = config.source[section];
    if (!source) continue;
    const path = typeof config.mapping === 'string' ? config.mapping : config.mapping[section];
    if (!path) throw new ConfigError(`mapping.${section}: expected a mapping file, since source.${section} is set`);
    const file = files.get(path) ?? (await loadMappingFile(resolve(path)));
    files.set(path, file);
    const mapping = file[section];
    if (!mapping) throw new ConfigError(`mapping ${path}: expected a "${section}:" section, since source.${section} is set`);
    out.push({ kind, file: resolve(source), mapping, csv: config.csv });
  }
  return out;
}
