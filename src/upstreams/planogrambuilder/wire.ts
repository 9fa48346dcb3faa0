/**
 * The PlanogramBuilder wire model as koppel sees it once `proto/planoapiv1.proto` is loaded (keepCase, enums as
 * names): the 24 method names, item kinds, and zod schemas for every response, so a vendor `.proto` that differs
 * from ours fails loudly at the boundary instead of deep inside a pipeline.
 */
import { z } from 'zod';

export const ERROR_CODES = [
  'PAE_OK', 'PAE_UNKNOWN', 'PAE_INVALID_ARGUMENT', 'PAE_NOT_FOUND', 'PAE_ALREADY_EXISTS',
  'PAE_PERMISSION_DENIED', 'PAE_OUT_OF_RANGE', 'PAE_INTERNAL', 'PAE_UNAUTHENTICATED',
] as const;
export type PlanoErrorCode = (typeof ERROR_CODES)[number];

export const BOOLEANS = ['PAB_UNSPECIFIED', 'PAB_FALSE', 'PAB_TRUE'] as const;
export type PlanoBoolean = (typeof BOOLEANS)[number];

export const PRODUCT_BEHAVIORS = ['PB_STANDARD', 'PB_PEGGED', 'PB_STACKABLE', 'PB_TESTER'] as const;
export const ACCESSORY_BEHAVIORS = [
  'AB_PANEL', 'AB_BAY_HEADER', 'AB_DIVIDER', 'AB_ON_DISPLAY', 'AB_PRESENTER',
  'AB_SHAPE_DEFINED', 'AB_SHELF_BADGE', 'AB_SHELF_STRIP', 'AB_STICKER', 'AB_TAG',
] as const;

export const errorSchema = z.object({ code: z.enum(ERROR_CODES), message: z.string() });
export type PlanoApiErrorBody = z.output<typeof errorSchema>;

const booleanSchema = z.enum(BOOLEANS);
// A message field left unset decodes as null; an empty classification means the same.
const classificationSchema = z
  .object({ level1: z.string(), level2: z.string(), level3: z.string() })
  .nullable()
  .transform((c) => c ?? { level1: '', level2: '', level3: '' });

export const productSchema = z.object({
  reference: z.string(),
  enabled: booleanSchema,
  classification: classificationSchema,
  name: z.string(),
  custom_properties: z.array(z.string()),
  width: z.number(),
  height: z.number(),
  depth: z.number(),
  shape: z.string(),
  images: z.array(z.string()),
  color: z.string(),
  behavior: z.enum(PRODUCT_BEHAVIORS),
  collisions: booleanSchema,
  facings_deep: z.number().int(),
  width_gap: z.number(),
  height_gap: z.number(),
  depth_gap: z.number(),
  lateral_offset: z.number(),
  vertical_offset: z.number(),
});

export const accessorySchema = z.object({
  reference: z.string(),
  enabled: booleanSchema,
  classification: classificationSchema,
  name: z.string(),
  custom_properties: z.array(z.string()),
  behavior: z.enum(ACCESSORY_BEHAVIORS),
  width: z.number(),
  height: z.number(),
  depth: z.number(),
  shape: z.string(),
  images: z.array(z.string()),
  color: z.string(),
  text_height: z.number(),
  text_color: z.string(),
  collisions: booleanSchema,
  caption: z.string(),
});

export const materialSchema = z.object({
  reference: z.string(),
  name: z.string(),
  image1: z.string(),
  tile: booleanSchema,
  tile_width: z.number(),
  tile_height: z.number(),
});

export type Product = z.output<typeof productSchema>;
export type Accessory = z.output<typeof accessorySchema>;
export type Material = z.output<typeof materialSchema>;

/** The three item kinds and their names on the wire. */
export const ITEM_KINDS = {
  product: { type: 'Product', plural: 'Products', field: 'product', listField: 'products', schema: productSchema },
  accessory: { type: 'Accessory', plural: 'Accessories', field: 'accessory', listField: 'accessories', schema: accessorySchema },
  material: { type: 'Material', plural: 'Materials', field: 'material', listField: 'materials', schema: materialSchema },
} as const;

export type ItemKind = keyof typeof ITEM_KINDS;
export interface ItemByKind {
  product: Product;
  accessory: Accessory;
  material: Material;
}
export type AnyItem = Product | Accessory | Material;

// A response without an error message at all is treated as success (proto3 may omit an all-default field).
const responseErrorSchema = errorSchema.nullable().transform((e) => e ?? { code: 'PAE_OK' as const, message: '' });
const withError = <T extends z.ZodRawShape>(shape: T) => z.object({ ...shape, error: responseErrorSchema });
const itemResponse = <K extends ItemKind>(kind: K) =>
  withError({ [ITEM_KINDS[kind].field]: ITEM_KINDS[kind].schema.nullable() } as { [F in (typeof ITEM_KINDS)[K]['field']]: z.ZodNullable<(typeof ITEM_KINDS)[K]['schema']> });
const listResponse = <K extends ItemKind>(kind: K) =>
  withError({ [ITEM_KINDS[kind].listField]: z.array(ITEM_KINDS[kind].schema), total_size: z.number().int() } as {
    [F in (typeof ITEM_KINDS)[K]['listField']]: z.ZodArray<(typeof ITEM_KINDS)[K]['schema']>;
  } & { total_size: z.ZodNumber });
const bare = withError({});

/** Response schema of each of the 24 methods. */
export const RESPONSES = {
  SignIn: withError({ access_token: z.string() }),
  SignOut: bare,
  CreateProduct: itemResponse('product'),
  DeleteProduct: bare,
  GetProduct: itemResponse('product'),
  ListProducts: listResponse('product'),
  RefreshProduct: bare,
  UpdateProduct: itemResponse('product'),
  CreateAccessory: itemResponse('accessory'),
  DeleteAccessory: bare,
  GetAccessory: itemResponse('accessory'),
  ListAccessories: listResponse('accessory'),
  RefreshAccessory: bare,
  UpdateAccessory: itemResponse('accessory'),
  CreateMaterial: itemResponse('material'),
  DeleteMaterial: bare,
  GetMaterial: itemResponse('material'),
  ListMaterials: listResponse('material'),
  RefreshMaterial: bare,
  UpdateMaterial: itemResponse('material'),
  DeleteFile: bare,
  DownloadFile: withError({ data: z.instanceof(Uint8Array) }),
  ListFiles: withError({ filenames: z.array(z.string()), total_size: z.number().int() }),
  UploadFile: bare,
} as const;

export type MethodName = keyof typeof RESPONSES;
export const METHOD_NAMES = Object.keys(RESPONSES) as MethodName[];
export type ResponseOf<M extends MethodName> = z.output<(typeof RESPONSES)[M]>;

type RefRequest = { reference: string };
type RangeRequest = { start_ind: number; end_ind: number };

/** Request of each method, without `access_token` (the client adds it). */
export interface Requests {
  SignIn: { account_id: string; username: string; password: string };
  SignOut: Record<string, never>;
  CreateProduct: { product: Product };
  DeleteProduct: RefRequest;
  GetProduct: RefRequest;
  ListProducts: RangeRequest;
  RefreshProduct: RefRequest;
  UpdateProduct: { product: Product };
  CreateAccessory: { accessory: Accessory };
  DeleteAccessory: RefRequest;
  GetAccessory: RefRequest;
  ListAccessories: RangeRequest;
  RefreshAccessory: RefRequest;
  UpdateAccessory: { accessory: Accessory };
  CreateMaterial: { material: Material };
  DeleteMaterial: RefRequest;
  GetMaterial: RefRequest;
  ListMaterials: RangeRequest;
  RefreshMaterial: RefRequest;
  UpdateMaterial: { material: Material };
  DeleteFile: { filename: string };
  DownloadFile: { filename: string };
  ListFiles: RangeRequest;
  UploadFile: { filename: string; data: Uint8Array; replace?: PlanoBoolean };
}

/** Methods that change remote state (what "a second run makes 0 mutating calls" counts). */
export const MUTATING_METHODS: readonly MethodName[] = METHOD_NAMES.filter((m) => /^(Create|Update|Delete|Refresh|Upload)/.test(m));

/** Name of the per-kind method, e.g. `itemMethod('product', 'Create')` → `CreateProduct`. */
export function itemMethod<K extends ItemKind>(kind: K, verb: 'Create' | 'Delete' | 'Get' | 'Refresh' | 'Update'): MethodName {
  return `${verb}${ITEM_KINDS[kind].type}` as MethodName;
}

export function listMethod(kind: ItemKind): MethodName {
  return `List${ITEM_KINDS[kind].plural}` as MethodName;
}
