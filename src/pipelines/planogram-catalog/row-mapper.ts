/**
 * Turns one catalog record into a whole PlanogramBuilder item (every field explicit, koppel always sends the
 * whole item) or the first problem with it: which column, and why.
 */
import { ConfigError } from '../../core/errors.js';
import { ASSUMED_BOOLEAN_DEFAULTS, defaultItem } from '../../upstreams/planogrambuilder/defaults.js';
import { validateItem } from '../../upstreams/planogrambuilder/limits.js';
import type { AnyItem, ItemKind } from '../../upstreams/planogrambuilder/wire.js';
import { ENUM_VALUES, FIELD_TYPES, type FieldSpec, type FieldType, type KindMapping } from './mapping.js';
import { CellError, parseBoolean, parseColor, parseDecimal, parseEnum, toCentimetres } from './transforms.js';

export type MappedRow =
  | { ok: true; reference: string; item: AnyItem }
  | { ok: false; reference: string | undefined; column: string; reason: string; value?: string | undefined };

/** One mapped field with everything that does not depend on the row worked out once, not per row. */
interface FieldPlan {
  field: string;
  spec: FieldSpec;
  type: FieldType;
  /** The column named in rejections (several joined with "+", or "constant"). */
  column: string;
  /** For `classification.levelN`: the level key. */
  level: string | undefined;
  /** The mapping's own words (booleans and enums), as the transforms take them. */
  ownBooleans: Record<string, boolean> | undefined;
  ownEnums: Record<string, string> | undefined;
}

export class RowMapper {
  readonly #kind: ItemKind;
  readonly #fields: FieldPlan[];

  constructor(kind: ItemKind, mapping: KindMapping) {
    this.#kind = kind;
    this.#fields = Object.entries(mapping.fields).map(([field, spec]) => ({
      field,
      spec,
      type: FIELD_TYPES[kind][field]!,
      column: spec.column ?? spec.columns?.join('+') ?? 'constant',
      level: field.startsWith('classification.') ? field.slice('classification.'.length) : undefined,
      ownBooleans: spec.values && Object.fromEntries(Object.entries(spec.values).map(([k, v]) => [k, v === true || v === 'true'])),
      ownEnums: spec.values && Object.fromEntries(Object.entries(spec.values).map(([k, v]) => [k, String(v)])),
    }));
  }

  /** Fails when the mapping names a column the file does not have: the whole file is unusable, not a row. */
  checkHeader(columns: readonly string[], file: string): void {
    const have = new Set(columns);
    const missing = this.#fields.flatMap(({ spec: s }) => [s.column, ...(s.columns ?? [])]).filter((c): c is string => !!c && !have.has(c));
    if (missing.length) {
      throw new ConfigError(`${file}: the mapping names column${missing.length > 1 ? 's' : ''} ${missing.map((c) => `"${c}"`).join(', ')} that the file lacks (it has ${columns.map((c) => `"${c}"`).join(', ')})`);
    }
  }

  map(values: Record<string, string>): MappedRow {
    const item = defaultItem(this.#kind) as unknown as Record<string, unknown>;
    let reference: string | undefined;
    for (const plan of this.#fields) {
      const { field, spec } = plan;
      const raw = spec.columns ? undefined : spec.constant !== undefined ? String(spec.constant) : (values[spec.column!] ?? '').trim();
      try {
        const value = spec.columns
          ? spec.columns.map((c) => (values[c] ?? '').trim())
          : this.#cell(plan, raw === '' && spec.default !== undefined ? String(spec.default) : raw!);
        if (field === 'reference') reference = value as string;
        if (plan.level !== undefined) (item.classification as Record<string, string>)[plan.level] = value as string;
        else item[field] = value;
      } catch (err) {
        if (!(err instanceof CellError)) throw err;
        return { ok: false, reference, column: plan.column, reason: `${field}: ${err.message}`, value: raw };
      }
    }
    const violation = validateItem(this.#kind, item as unknown as AnyItem)[0];
    if (violation) {
      const base = violation.field.replace(/\[\d+\]$/, '');
      const spec = this.#fields.find((f) => f.field === base)?.spec;
      const column = spec?.column ?? spec?.columns?.join('+') ?? base;
      const cell = spec?.column !== undefined ? values[spec.column] : undefined;
      return { ok: false, reference, column, reason: `${violation.field} ${violation.reason}`, value: cell ?? String(fieldValue(item, violation.field)) };
    }
    return { ok: true, reference: reference!, item: item as unknown as AnyItem };
  }

  #cell({ field, spec, type, ownBooleans, ownEnums }: FieldPlan, text: string): unknown {
    switch (type) {
      case 'string':
        return text;
      case 'list':
        return text === '' ? [] : text.split(spec.split).map((s) => s.trim()).filter((s) => s !== '');
      case 'number':
        return text === '' ? 0 : toCentimetres(text, spec.unit, spec.decimal);
      case 'integer': {
        if (text === '') return 0;
        const n = parseDecimal(text, spec.decimal);
        if (!Number.isInteger(n)) throw new CellError(`"${text}" is not a whole number`);
        return n;
      }
      case 'boolean':
        if (text === '') return ASSUMED_BOOLEAN_DEFAULTS[field as keyof typeof ASSUMED_BOOLEAN_DEFAULTS];
        return parseBoolean(text, ownBooleans) ? 'PAB_TRUE' : 'PAB_FALSE';
      case 'enum': {
        const allowed = ENUM_VALUES[this.#kind]!;
        if (text === '') return allowed[0];
        return parseEnum(text, allowed, ownEnums);
      }
      case 'color':
        return parseColor(text);
    }
  }
}

function fieldValue(item: Record<string, unknown>, path: string): unknown {
  const m = /^(.*)\[(\d+)\]$/.exec(path);
  if (m) return (item[m[1]!] as unknown[])[Number(m[2])];
  if (path.startsWith('classification.')) return (item.classification as Record<string, unknown>)[path.slice(15)];
  return item[path];
}
