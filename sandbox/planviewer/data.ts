/**
 * The sandbox's demo world: a few real-looking Dutch addresses and lots, the products Planviewer lists, and
 * the intentions each location yields. Deterministic, so tests and demos see the same uuids every time.
 */
import { createHash } from 'node:crypto';
import type { Intention } from '../../src/upstreams/planviewer/api.js';

/** A uuid derived from a name: stable across sandbox restarts. */
export function stableUuid(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export const SANDBOX_PRODUCTS = [
  { slug: 'bestemmingsplanrapport', name: 'Bestemmingsplanrapport' },
  { slug: 'vraagprijsrapport', name: 'Vraagprijsrapport' },
  { slug: 'maatvoering-perceel', name: 'Maatvoering perceel' },
  { slug: 'percelenrapport', name: 'Percelenrapport' },
  { slug: 'kadastraledocumenten', name: 'Kadastrale documenten' },
  { slug: 'bestemmingsplankaart', name: 'Bestemmingsplankaart' },
  { slug: 'uittreksel-kadastrale-kaart', name: 'Uittreksel kadastrale kaart' },
  { slug: 'koopsomoverzicht', name: 'Koopsomoverzicht' },
  { slug: 'eigendomsinformatie', name: 'Eigendomsinformatie' },
  { slug: 'hypotheekinformatie', name: 'Hypotheekinformatie' },
] as const;

/** How a job for an intention ends: most finish; some need a user's choice; some fail. */
export type JobOutcome = 'finished' | 'waiting' | 'error';

export interface SandboxLocation {
  entity: 'adres' | 'perceel';
  uuid: string;
  title: string;
  properties: Record<string, string | null>;
}

interface AddressSeed {
  street: string;
  number: string;
  letter?: string;
  addition?: string;
  postcode: string;
  town: string;
}

const ADDRESSES: AddressSeed[] = [
  { street: 'Utrechtsestraat', number: '61', postcode: '6811LW', town: 'Arnhem' },
  { street: 'Castellastraat', number: '2', postcode: '6512EX', town: 'Nijmegen' },
  // "Dorpsweg 8" matches its fields exactly but scores the same as "Dorpsweg 8a": a tie, which waits for a human.
  { street: 'Dorpsweg', number: '8', postcode: '9999AA', town: 'Groningen' },
  { street: 'Dorpsweg', number: '8', letter: 'a', postcode: '9999AA', town: 'Groningen' },
  // Two flats behind one door and no plain number: a search for "Keizersgracht 100" is ambiguous.
  { street: 'Keizersgracht', number: '100', addition: '1', postcode: '1015AA', town: 'Amsterdam' },
  { street: 'Keizersgracht', number: '100', addition: '2', postcode: '1015AA', town: 'Amsterdam' },
  { street: 'Stationsplein', number: '1', postcode: '3511ED', town: 'Utrecht' },
  { street: 'Markt', number: '12', postcode: '5611EB', town: 'Eindhoven' },
  { street: 'Grote Markt', number: '1', postcode: '2011RD', town: 'Haarlem' },
];

const LOTS = [
  { municipality: 'ARNHEM', section: 'P', number: '530' },
  { municipality: 'HOOGKERK', section: 'A', number: '100' },
  { municipality: 'NIJMEGEN', section: 'K', number: '1234' },
];

export function sandboxLocations(): SandboxLocation[] {
  const addresses = ADDRESSES.map((a): SandboxLocation => {
    const number = `${a.number}${a.letter ?? ''}${a.addition ? `-${a.addition}` : ''}`;
    return {
      entity: 'adres',
      uuid: stableUuid(`adres:${a.postcode}:${number}`),
      title: `${a.street} ${number}, ${a.postcode} ${a.town}`,
      properties: {
        type: 'adres',
        postcode: a.postcode,
        huisnummer: a.number,
        huisletter: a.letter ?? null,
        huisnummertoevoeging: a.addition ?? null,
        openbareruimtenaam: a.street,
        woonplaatsnaam: a.town,
      },
    };
  });
  const lots = LOTS.map(
    (l): SandboxLocation => ({
      entity: 'perceel',
      uuid: stableUuid(`perceel:${l.municipality}:${l.section}:${l.number}`),
      title: `${l.municipality} ${l.section} ${l.number}`,
      properties: { type: 'perceel', kadastrale_gemeente: l.municipality, sectie: l.section, perceelnummer: l.number },
    }),
  );
  return [...addresses, ...lots];
}

export interface SandboxIntention extends Intention {
  location: string;
  outcome: JobOutcome;
}

const PLANS = [
  { plan_id: 'NL.IMRO.0268.BP7000-VG02', plannaam: 'Binnenstad', datum: '2019-04-11', dossier_status: 'vastgesteld', enkelbestemming: 'Gemengd' },
  { plan_id: 'NL.IMRO.0268.FBPparkeren-VG01', plannaam: 'Parkeren', datum: '2017-11-02', dossier_status: 'vastgesteld', enkelbestemming: null },
];

/**
 * Intentions per location and product. The zoning report has two plans for the first address (so a choice
 * rule matters); ownership information for a Groningen address covers two lots (waiting for user); the
 * mortgage report for the Utrecht address fails (job error).
 */
export function sandboxIntentions(locations: readonly SandboxLocation[]): SandboxIntention[] {
  const out: SandboxIntention[] = [];
  locations.forEach((loc, li) => {
    for (const product of SANDBOX_PRODUCTS) {
      const plans = product.slug.startsWith('bestemmingsplan') ? (li === 0 ? PLANS : [PLANS[0]!]) : [undefined];
      plans.forEach((plan, pi) => {
        const town = String(loc.properties.woonplaatsnaam ?? loc.properties.kadastrale_gemeente ?? '');
        let outcome: JobOutcome = 'finished';
        if (product.slug === 'eigendomsinformatie' && town === 'Groningen') outcome = 'waiting';
        if (product.slug === 'hypotheekinformatie' && town === 'Utrecht') outcome = 'error';
        out.push({
          uuid: stableUuid(`intention:${loc.uuid}:${product.slug}:${pi}`),
          product: product.slug,
          properties: plan ? { ...plan, title: `${product.name} ${plan.plannaam}` } : { title: product.name },
          location: loc.uuid,
          outcome,
        });
      });
    }
  });
  return out;
}

/** The notes' example choices for a job waiting for the user. */
export const WAITING_CHOICES = {
  locaties: {
    '1': 'Hoogkerk A 100 Dorpsweg 8 a 9999AA Groningen t.n.v. J. Jansen',
    '2': 'Hoogkerk A 101 Dorpsweg 8 a 9999AA Groningen t.n.v. J. Jansen',
  },
  message: 'Which of the found locations must be used to complete the order?',
};

/** Names a hostile vendor might send; the client must never write outside its folder or keep control characters. */
export const HOSTILE_FILENAMES = [
  '../../../../etc/passwd',
  '..\\..\\windows\\system32\\evil.pdf',
  'rapport\u0000\r\nSet-Cookie: x=1.pdf',
  '..',
  '/absolute/path/report.pdf',
  '.hidden-report.pdf',
  'CON.pdf',
  `${'lang'.repeat(100)}.pdf`,
  'naïve rapport "2024" ; weird.pdf',
];
