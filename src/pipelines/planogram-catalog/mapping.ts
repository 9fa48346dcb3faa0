/**
 * Mapping files (`mappings/*.yaml`): which catalog column feeds which item field, and how the cell is
 * transformed. A file holds one section per item kind (`products:`, `accessories:`, `materials:`).
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';
import { csvOptionsSchema } from '../../core/csv-source.js';
import { ConfigError } from '../../core/errors.js';
import { formatIssues } from '../../config/format-issues.js';
import { ACCESSORY_BEHAVIORS, type ItemKind, PRODUCT_BEHAVIORS } from '../../upstreams/planogrambuilder/wire.js';

const scalar = z.union([z.string(), z.number(), z.boolean()]);

const fieldSpecObject = z
  .object({
    /** Source column (header name, matched after trimming). */
    column: z.string().min(1).optional(),
    /** Several columns, one list entry each (custom properties). */
    columns: z.array(z.string().min(1)).min(1).optional(),
    /** A fixed value instead of a column. */
    constant: scalar.optional(),
    /** Value used when the cell is empty. */
    default: scalar.optional(),
    /** Unit of a dimension column; converted to cm. @default "cm" */
    unit: z.enum(['mm', 'cm', 'm']).default('cm'),
    /** Decimal separator; `auto` reads `12,5` and `12.5` alike. @default "auto" */
    decimal: z.enum(['auto', 'comma', 'dot']).default('auto'),
    /** Splits one cell into a list (`images`, `custom_properties`). @default "|" */
    split: z.string().min(1).default('|'),
    /** Own words for enums and booleans, e.g. `{ haak: PB_PEGGED }` or `{ actief: true }`. */
    values: z.record(z.string(), z.union([z.string(), z.boolean()])).optional(),
  })
  .strict()
  .refine((s) => [s.column, s.columns, s.constant].filter((v) => v !== undefined).length === 1, {
    message: 'expected exactly one of column, columns or constant',
  });

/** A field's source: a column name, or an object with a column/columns/constant and transform options. */
const fieldSpec = z.union([z.string().min(1).transform((column) => fieldSpecObject.parse({ column })), fieldSpecObject]);
export type FieldSpec = z.output<typeof fieldSpecObject>;

export type FieldType = 'string' | 'number' | 'integer' | 'boolean' | 'enum' | 'color' | 'list';

const COMMON: Record<string, FieldType> = {
  reference: 'string', enabled: 'boolean', 'classification.level1': 'string', 'classification.level2': 'string',
  'classification.level3': 'string', name: 'string', custom_properties: 'list', width: 'number', height: 'number',
  depth: 'number', shape: 'string', images: 'list', color: 'color', collisions: 'boolean',
};

/** The fields a mapping may fill per kind, and how their cells are read. */
export const FIELD_TYPES: Record<ItemKind, Record<string, FieldType>> = {
  product: {
    ...COMMON, behavior: 'enum', facings_deep: 'integer', width_gap: 'number', height_gap: 'number', depth_gap: 'number',
    lateral_offset: 'number', vertical_offset: 'number',
  },
  accessory: { ...COMMON, behavior: 'enum', text_height: 'number', text_color: 'color', caption: 'string' },
  material: { reference: 'string', name: 'string', image1: 'string', tile: 'boolean', tile_width: 'number', tile_height: 'number' },
};

export const ENUM_VALUES: Partial<Record<ItemKind, readonly string[]>> = { product: PRODUCT_BEHAVIORS, accessory: ACCESSORY_BEHAVIORS };

/** Dimensions (cm) get unit conversion; other numbers (gaps and offsets are cm too) as well. */
const kindSection = (kind: ItemKind) =>
  z
    .object({
      /** Per-catalog CSV settings, over the pipeline's `csv`. */
      csv: csvOptionsSchema.partial().optional(),
      fields: z
        .record(z.string(), fieldSpec)
        .superRefine((fields, ctx) => {
          for (const name of Object.keys(fields)) {
            if (!(name in FIELD_TYPES[kind])) {
              ctx.addIssue({ code: 'custom', path: [name], message: `expected one of ${Object.keys(FIELD_TYPES[kind]).join(', ')}` });
            }
          }
          if (!fields.reference) ctx.addIssue({ code: 'custom', path: ['reference'], message: 'expected a source for reference' });
        }),
    })
    .strict();

export const mappingFileSchema = z
  .object({ products: kindSection('product').optional(), accessories: kindSection('accessory').optional(), materials: kindSection('material').optional() })
  .strict();

export type KindMapping = z.output<ReturnType<typeof kindSection>>;
export const SECTION_OF: Record<ItemKind, 'products' | 'accessories' | 'materials'> = {
  product: 'products',
  accessory: 'accessories',
  material: 'materials',
};

/** Reads and validates a mapping file; problems name the file and the key path. */
export async function loadMappingFile(path: string): Promise<z.output<typeof mappingFileSchema>> {
  let raw: unknown;
  try {
    raw = parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`mapping ${path}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const parsed = mappingFileSchema.safeParse(raw ?? {}, { reportInput: true });
  if (!parsed.success) throw new ConfigError(`mapping ${path}:\n${formatIssues(parsed.error.issues, [], new Map()).map((p) => `  ${p}`).join('\n')}`);
  return parsed.data;
}
