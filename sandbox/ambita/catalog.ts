/**
 * The sandbox's product catalog: the demo municipality 9999 "Infoland" that Ambita's own examples use, plus a
 * few real ones. Each municipality offers the same kinds of product under its own codes (`WI<knr>nnnn`).
 */

export interface SandboxProduct {
  code: string;
  municipality: string;
  name: string;
  description: string;
  inputType: 'CADASTRE' | 'SHARE' | 'MAP';
  type: 'NORMAL' | 'PACKAGE';
  delivery: 'DIGITAL';
  priceNet: number;
  priceVat: number;
  status: 'ACTIVE' | 'INACTIVE';
  /** What the delivered file of a line of this product is categorised as. */
  category: string;
  /** Extension of the file a line of this product delivers. */
  fileExt: string;
  children: string[];
}

export const SANDBOX_MUNICIPALITIES: Readonly<Record<string, string>> = {
  '9999': 'Infoland Kommune - demo',
  '5401': 'Tromsø kommune',
  '0301': 'Oslo kommune',
};

const TEMPLATES: Omit<SandboxProduct, 'code' | 'municipality' | 'children'>[] = [
  { name: 'Reguleringsplan med bestemmelser', description: 'Plankart og bestemmelser for eiendommen', inputType: 'CADASTRE', type: 'NORMAL', delivery: 'DIGITAL', priceNet: 400, priceVat: 0, status: 'ACTIVE', category: 'PLAN_KART_REGULERING', fileExt: 'pdf', },
  { name: 'Ferdigattest / midlertidig brukstillatelse', description: 'Kopi av ferdigattest', inputType: 'CADASTRE', type: 'NORMAL', delivery: 'DIGITAL', priceNet: 250, priceVat: 0, status: 'ACTIVE', category: 'FERDIGATTEST_OG_MIDLERTIDIG_BRUKSTILLATELSE', fileExt: 'pdf' },
  { name: 'Kommunale avgifter', description: 'Oversikt over kommunale gebyrer', inputType: 'CADASTRE', type: 'NORMAL', delivery: 'DIGITAL', priceNet: 150, priceVat: 0, status: 'ACTIVE', category: 'KOMMUNAL_INFORMASJON', fileExt: 'xlsx' },
  { name: 'Borettslagsinformasjon', description: 'Opplysninger om andelen', inputType: 'SHARE', type: 'NORMAL', delivery: 'DIGITAL', priceNet: 300, priceVat: 75, status: 'ACTIVE', category: 'PRODUKT_UTEN_KATEGORI', fileExt: 'pdf' },
  { name: 'Basiskart som vektordata', description: 'Kartutsnitt i SOSI-format', inputType: 'MAP', type: 'NORMAL', delivery: 'DIGITAL', priceNet: 0, priceVat: 0, status: 'ACTIVE', category: 'PRODUKT_UTEN_KATEGORI', fileExt: 'sos' },
  { name: 'Meglerpakke', description: 'Regulering, ferdigattest og avgifter i én bestilling', inputType: 'CADASTRE', type: 'PACKAGE', delivery: 'DIGITAL', priceNet: 700, priceVat: 0, status: 'ACTIVE', category: 'PRODUKT_UTEN_KATEGORI', fileExt: 'pdf' },
];

/** The whole catalog, keyed by product code. */
export function buildCatalog(): Map<string, SandboxProduct> {
  const catalog = new Map<string, SandboxProduct>();
  for (const knr of Object.keys(SANDBOX_MUNICIPALITIES)) {
    const codes = TEMPLATES.map((_, i) => `WI${knr}${String(i + 1).padStart(4, '0')}`);
    TEMPLATES.forEach((t, i) => {
      // The package (last template) bundles the three cadastre products before it.
      const children = t.type === 'PACKAGE' ? codes.slice(0, 3) : [];
      catalog.set(codes[i]!, { ...t, code: codes[i]!, municipality: knr, children });
    });
  }
  return catalog;
}

/** The catalog entry as `GET /kode/v1/products` renders it. */
export function renderProduct(p: SandboxProduct, catalog: ReadonlyMap<string, SandboxProduct>): Record<string, unknown> {
  const inputNames = { CADASTRE: 'Matrikkel', SHARE: 'Andel', MAP: 'Kart' } as const;
  return {
    code: p.code,
    name: p.name,
    description: p.description,
    delivery: { code: p.delivery, name: 'Digital levering' },
    inputType: { code: p.inputType, name: inputNames[p.inputType] },
    price: { salesPriceNet: p.priceNet, salesPriceVat: p.priceVat },
    status: { code: p.status, name: p.status === 'ACTIVE' ? 'Aktiv' : 'Inaktiv' },
    type: { code: p.type, name: p.type === 'PACKAGE' ? 'Pakke' : 'Normal' },
    children: p.children.map((code) => ({ code, name: catalog.get(code)?.name ?? code })),
  };
}

/** Deterministic file content for an asset: recognisable, sized, and different for every asset id. */
export function assetContent(assetId: string, ext: string, size = 2048): Buffer {
  const header = ext === 'pdf' ? '%PDF-1.4\n' : ext === 'sos' ? '.HODE\n' : '';
  const line = `ambita sandbox asset ${assetId}\n`;
  let text = header;
  while (text.length < size) text += line;
  return Buffer.from(text.slice(0, size), 'utf8');
}

export function contentType(ext: string): string {
  const types: Record<string, string> = {
    pdf: 'application/pdf',
    xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    csv: 'text/csv',
    txt: 'text/plain',
    png: 'image/png',
    jpg: 'image/jpeg',
    zip: 'application/zip',
  };
  return types[ext] ?? 'application/octet-stream';
}
