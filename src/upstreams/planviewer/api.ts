/**
 * Every Planviewer Product API path and field name koppel relies on, in one module: the vendor pages in hand
 * document only the jobs endpoints, the rest comes from `planviewer-notes.md` (some of it *assumed*), so a
 * correction must touch this file only. The client and the sandbox both build on these schemas.
 */
import { z } from 'zod';

export const API_ROOT = '/product_api/v1';

export const paths = {
  products: `${API_ROOT}/products/list`,
  search: `${API_ROOT}/search/structured`,
  intentions: `${API_ROOT}/intentions/list`,
  order: `${API_ROOT}/jobs/order`,
  status: `${API_ROOT}/jobs/status`,
  retrieve: (job: string) => `${API_ROOT}/jobs/retrieve/${encodeURIComponent(job)}`,
  kikWaiting: (job: string) => `${API_ROOT}/kik/waiting/${encodeURIComponent(job)}`,
  kikSelect: (job: string) => `${API_ROOT}/kik/select/${encodeURIComponent(job)}`,
} as const;

/** Query parameter of `jobs/status`, repeated once per job (`uuids[]=a&uuids[]=b`). */
export const STATUS_UUID_PARAM = 'uuids[]';

export const productSchema = z.object({ slug: z.string().min(1), name: z.string() }).loose();
export const productListSchema = z.array(productSchema);
export type Product = z.output<typeof productSchema>;

/** Search entities: an address (`adres`) or a cadastral lot (`perceel`). */
export type LocationEntity = 'adres' | 'perceel';

/** A structured-search query: `bool.must`, a `field` clause, or a `dis-max` combination. */
export type SearchQuery =
  | { bool: { must: SearchQuery[] } }
  | { field: { fields: string[]; query: string; method?: 'match' } }
  | { 'dis-max': { queries: SearchQuery[] } };

export const searchQuerySchema: z.ZodType<SearchQuery> = z.lazy(() =>
  z.union([
    z.object({ bool: z.object({ must: z.array(searchQuerySchema).min(1) }).strict() }).strict(),
    z
      .object({
        field: z
          .object({ fields: z.array(z.string().min(1)).min(1), query: z.string(), method: z.literal('match').optional() })
          .strict(),
      })
      .strict(),
    z.object({ 'dis-max': z.object({ queries: z.array(searchQuerySchema).min(1) }).strict() }).strict(),
  ]),
);

export const searchRequestSchema = z.object({ entity: z.enum(['adres', 'perceel']), query: searchQuerySchema }).strict();

/** Address fields; `huisnummer` is a string on the wire. */
export const ADDRESS_FIELDS = {
  postcode: 'postcode',
  number: 'huisnummer',
  letter: 'huisletter',
  addition: 'huisnummertoevoeging',
  street: 'openbareruimtenaam',
  town: 'woonplaatsnaam',
} as const;

/** Lot fields (*assumed* names, see the notes). */
export const LOT_FIELDS = { municipality: 'kadastrale_gemeente', section: 'sectie', number: 'perceelnummer' } as const;

const nullableText = z.union([z.string(), z.number().transform(String)]).nullable().optional();

export const locationSchema = z
  .object({
    score: z.number(),
    uuid: z.string().min(1),
    title: z.string(),
    properties: z
      .object({
        type: z.string().optional(),
        postcode: nullableText,
        huisnummer: nullableText,
        huisletter: nullableText,
        huisnummertoevoeging: nullableText,
        openbareruimtenaam: nullableText,
        woonplaatsnaam: nullableText,
        kadastrale_gemeente: nullableText,
        sectie: nullableText,
        perceelnummer: nullableText,
      })
      .loose()
      .default({}),
  })
  .loose();
export const searchResultSchema = z.array(locationSchema);
export type Location = z.output<typeof locationSchema>;

export const intentionSchema = z
  .object({ uuid: z.string().min(1), product: z.string(), properties: z.record(z.string(), z.unknown()).default({}) })
  .loose();
export const intentionGroupsSchema = z.array(z.object({ uuid: z.string(), intentions: z.array(intentionSchema) }).loose());
export type Intention = z.output<typeof intentionSchema>;

export const orderRequestSchema = z.object({ uuids: z.array(z.string().min(1)).min(1) }).strict();
export const orderResponseSchema = z.array(z.object({ uuid: z.string(), job: z.object({ uuid: z.string().min(1) }).loose() }).loose());

export const JOB_STATUSES = ['initial', 'in_progress', 'finished', 'waiting for user', 'error'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const jobStatusSchema = z
  .object({
    uuid: z.string(),
    status: z.enum(JOB_STATUSES),
    progress: z.object({ current: z.number(), total: z.number() }).loose().nullable().optional(),
  })
  .loose();
export const jobStatusListSchema = z.array(jobStatusSchema);
export type JobStatusEntry = z.output<typeof jobStatusSchema>;

/** `kik/waiting`: choices keyed by 1-based index strings. */
export const waitingSchema = z.object({ locaties: z.record(z.string(), z.string()), message: z.string().default('') }).loose();
export type WaitingForUser = z.output<typeof waitingSchema>;

export const selectRequestSchema = z.object({ select: z.array(z.number().int().min(1)).min(1) }).strict();

/** The two error body shapes: `{"error": {"code", "message"}}` (401 etc.) and `[{"error": "true", "message"}]` (429). */
export const errorBodySchema = z.union([
  z.object({ error: z.object({ code: z.number().optional(), message: z.string() }).loose() }).loose(),
  z.array(z.object({ error: z.union([z.string(), z.boolean()]), message: z.string() }).loose()).min(1),
  z.object({ error: z.union([z.string(), z.boolean()]), message: z.string() }).loose(),
]);

/** The vendor's message for the daily order cap, as documented. */
export const DAILY_CAP_MESSAGE = 'You are trying to order more products than your daily limit allows';

/** The message of an error body of either shape, or undefined. */
export function errorMessage(body: unknown): string | undefined {
  const parsed = errorBodySchema.safeParse(body);
  if (!parsed.success) return undefined;
  const v = parsed.data as { error: unknown; message?: unknown } | { message: unknown }[];
  if (Array.isArray(v)) return String(v[0]?.message ?? '');
  const inner = v.error;
  if (inner && typeof inner === 'object' && 'message' in inner) return String(inner.message);
  return typeof v.message === 'string' ? v.message : undefined;
}
