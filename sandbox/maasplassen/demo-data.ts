/**
 * Seed data for the Maasplassen sandbox: the shapes a test or the demo can hand to `startMaasplassenSandbox`, and
 * the demo world used when none is given. Company 1 uses the key and secret from the vendor document, so the
 * document's HMAC test vectors verify against the sandbox as they are.
 */

export const BOAT_TYPES = ['zeilboot', 'motorboot', 'sloep', 'kajuitboot', 'peddelboot', 'overige'] as const;
export type BoatType = (typeof BOAT_TYPES)[number];

/** One price option for a boat-date, as stored (the update payload's `prizes` entries). */
export interface SandboxPrize {
  desc: string;
  desc_de?: string;
  cents: number;
}

export interface SandboxBoat {
  /** Maasplassen's own id ("Our ID"), unique across all companies. */
  bootid: number;
  /** The rental company's id ("Your ID"); unique within the company only. */
  ext_id: string;
  naam: string;
  type: BoatType;
  zichtbaar: boolean;
  beschrijving?: string;
  max_personen?: number;
  /** One of the injector's `aandrijving` keys: binnenboord, buitenboord, electrisch, wind, windbb, spier. */
  aandrijving?: string;
  /** Metres; rendered as a string with two decimals ("5.20"). */
  lengte?: number;
  ext_referentie?: string;
  /** Absolute URLs are kept; paths (`/assets/...`) are prefixed with the sandbox origin. */
  images?: { url: string; title?: string; bestandsnaam: string }[];
  /** Shown on a date for which nothing was pushed. */
  standaardPrijs?: SandboxPrize[];
  /** "YYYY-MM-DD HH:MM:SS"; defaults to a fixed demo timestamp. */
  updated_at?: string;
}

export interface SandboxReview {
  created_at: string;
  cijfer: number;
  opmerking: string;
  naam: string;
  mgt_response?: string | null;
}

export interface SandboxCompany {
  id: number;
  naam: string;
  /** The company's key; stored and compared without dashes and spaces. */
  apikey: string;
  secret: string;
  /** May read and write every company's data. */
  superkey?: boolean;
  /** The key answers 503 ApiKeyDisabledException. */
  disabled?: boolean;
  /** Listed by /rentals and its boats by /fleet. @default true */
  visible?: boolean;
  boats: SandboxBoat[];
  /** `meta.owner` for requests made with this key. @default "<naam in lowercase, no spaces>.api" */
  owner?: string;
  url?: string;
  email?: string;
  /** What the fleet's call-to-action does for this company. @default "direct" */
  cta?: 'direct' | 'email' | 'info';
  reviews?: SandboxReview[];
}

/** A jetty reservation; `van`/`tot` are epoch milliseconds. */
export interface SandboxReservation {
  van: number;
  tot: number;
  bedrijf: string;
  schip: string;
  contact: string;
  telefoon: string;
  marquee?: string;
}

export interface SandboxJetty {
  id: number;
  naam: string;
  lat: string;
  lon: string;
  lengte: number;
  reservations: SandboxReservation[];
}

const img = (bootid: number, bestandsnaam: string, title?: string) => ({
  url: `/assets/boten/${bootid}/${bestandsnaam}`,
  bestandsnaam,
  ...(title ? { title } : {}),
});

const dayPrice = (cents: number): SandboxPrize[] => [
  { desc: 'Hele dag ', desc_de: 'Ganzer Tag ', cents },
  { desc: 'Halve dag', desc_de: 'Halber Tag', cents: Math.round(cents * 0.6) },
];

/** Van Nut: ten boats, ext_id "91".."100", every type, one hidden; our ids deliberately differ from theirs. */
const VAN_NUT_BOATS: SandboxBoat[] = [
  { bootid: 6, ext_id: '91', naam: 'Valk met motor', type: 'zeilboot', zichtbaar: true, max_personen: 5, aandrijving: 'windbb', lengte: 6.5,
    beschrijving: 'De klassieker onder de open zeilboten, met een buitenboordmotor waarmee u ook de binnenstad in kunt.',
    images: [img(6, 'valk.jpg', 'Valk op de Maas'), img(6, 'valk-kuip.jpg')], standaardPrijs: dayPrice(9500) },
  { bootid: 7, ext_id: '98', naam: 'Antaris 520', type: 'sloep', zichtbaar: true, max_personen: 4, aandrijving: 'binnenboord', lengte: 5.2,
    ext_referentie: 'antaris-520', beschrijving: 'De Antaris is een comfortabele sloep waarmee u zonder vaarbewijs kunt varen.',
    images: [img(7, 'antaris.jpg', 'This is a title')], standaardPrijs: [{ desc: 'Hele dag varen', desc_de: 'Ganzer Tag fahren', cents: 15000 }] },
  { bootid: 8, ext_id: '92', naam: 'Polyvalk', type: 'zeilboot', zichtbaar: true, max_personen: 6, aandrijving: 'wind', lengte: 6.1,
    beschrijving: 'Ruime open zeilboot, stabiel en geschikt voor beginners.', images: [img(8, 'polyvalk.jpg')], standaardPrijs: dayPrice(8500) },
  { bootid: 9, ext_id: '93', naam: 'Marex 21 Flying Cruiser', type: 'motorboot', zichtbaar: true, max_personen: 6, aandrijving: 'binnenboord', lengte: 6.4,
    beschrijving: 'Snelle motorboot; vaarbewijs verplicht.', images: [img(9, 'marex.jpg')], standaardPrijs: dayPrice(22500) },
  { bootid: 10, ext_id: '94', naam: 'Tendersloep 650', type: 'sloep', zichtbaar: true, max_personen: 8, aandrijving: 'electrisch', lengte: 6.5,
    beschrijving: 'Fluisterstille elektrische sloep voor het hele gezin.', images: [], standaardPrijs: dayPrice(17500) },
  { bootid: 11, ext_id: '95', naam: 'Kajuitboot Aquastar', type: 'kajuitboot', zichtbaar: true, max_personen: 6, aandrijving: 'binnenboord', lengte: 8.2,
    beschrijving: 'Kajuitboot met toilet en kombuis, ook voor meerdaagse tochten.', images: [img(11, 'aquastar.jpg'), img(11, 'aquastar-kajuit.jpg', 'Kajuit')],
    standaardPrijs: dayPrice(27500) },
  { bootid: 12, ext_id: '96', naam: 'Canadese kano', type: 'peddelboot', zichtbaar: true, max_personen: 3, aandrijving: 'spier', lengte: 4.9,
    beschrijving: 'Open kano voor twee tot drie personen.', images: [img(12, 'kano.jpg')], standaardPrijs: [{ desc: 'Per dag', desc_de: 'Pro Tag', cents: 3500 }] },
  { bootid: 13, ext_id: '97', naam: 'SUP-board', type: 'overige', zichtbaar: true, max_personen: 1, aandrijving: 'spier', lengte: 3.2,
    beschrijving: 'Stand-up paddle board inclusief peddel en zwemvest.', images: [], standaardPrijs: [{ desc: 'Per dag', cents: 2500 }] },
  { bootid: 14, ext_id: '99', naam: 'Fluisterboot 10p', type: 'sloep', zichtbaar: true, max_personen: 10, aandrijving: 'electrisch', lengte: 7.4,
    beschrijving: 'Grote elektrische sloep voor groepen.', images: [img(14, 'fluisterboot.jpg')], standaardPrijs: dayPrice(24500) },
  { bootid: 15, ext_id: '100', naam: 'Waterfiets', type: 'peddelboot', zichtbaar: false, max_personen: 4, aandrijving: 'spier', lengte: 4.0,
    beschrijving: 'Waterfiets (uit de verhuur voor onderhoud).', images: [], standaardPrijs: [{ desc: 'Per uur', cents: 1500 }] },
];

/**
 * The demo world: company 1 (the document's key and secret), a second company whose ext_ids overlap company 1's
 * ("91"), the VVV with a superkey, and a company whose key is disabled.
 */
export const DEMO_COMPANIES: SandboxCompany[] = [
  {
    id: 1, naam: 'Van Nut', owner: 'vannut.koppel', url: 'http://vannut.nl', email: 'wijzijn@vannut.nl', cta: 'direct',
    apikey: 'pub.bb19faa3-81bc-4bbe-afc9-70850e4c19ea', secret: 'sk.9isI6XLkRutLtjwRHZUc4I7Nw3tdf6r6R5KZ3ChZDxb6yU65Q6fGr',
    boats: VAN_NUT_BOATS,
    reviews: [
      { created_at: '2015-05-19 12:17:13', cijfer: 5, opmerking: 'Top bedrijf, denken met je mee. ', naam: 'Pipo', mgt_response: null },
      { created_at: '2016-07-02 18:40:00', cijfer: 4, opmerking: 'Mooie boot, wel wat laat terug gebeld.', naam: 'Mamaloe', mgt_response: 'Dank u, we beteren ons!' },
      { created_at: '2017-08-14 09:05:31', cijfer: 5, opmerking: 'Prachtige dag gehad op de plassen.', naam: 'Klukkluk', mgt_response: null },
    ],
  },
  {
    id: 2, naam: 'Jachtverhuur De Maasplas', owner: 'demaasplas.koppel', url: 'http://example.org/demaasplas', email: 'info@example.org', cta: 'email',
    apikey: 'pub.7c1e5d2a-0b44-4f3e-9a61-2d8f0c6b9e17', secret: 'sk.Q2mX8vR4tL0pZ7nB3kD9sF1hJ6wY5cA2eG8uN4iO0qV',
    boats: [
      { bootid: 21, ext_id: '91', naam: 'Sloep Maasplas', type: 'sloep', zichtbaar: true, max_personen: 8, aandrijving: 'buitenboord', lengte: 6.0,
        images: [img(21, 'sloep.jpg')], standaardPrijs: dayPrice(16000) },
      { bootid: 22, ext_id: 'MP-2', naam: 'Motorjacht Linssen', type: 'kajuitboot', zichtbaar: true, max_personen: 6, aandrijving: 'binnenboord', lengte: 9.7,
        images: [], standaardPrijs: dayPrice(32500) },
      { bootid: 23, ext_id: 'MP-3', naam: 'Speedboot', type: 'motorboot', zichtbaar: true, max_personen: 5, aandrijving: 'buitenboord', lengte: 5.5,
        images: [], standaardPrijs: dayPrice(19500) },
    ],
    reviews: [{ created_at: '2019-06-01 10:00:00', cijfer: 3, opmerking: 'Prima, maar duur.', naam: 'Bommel', mgt_response: null }],
  },
  {
    id: 3, naam: 'VVV Midden Limburg', owner: 'vvv.Portaal', url: 'http://example.org/vvv', email: 'vvv@example.org', cta: 'info', visible: false,
    superkey: true, apikey: 'pub.0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9', secret: 'sk.VvVsUp3rK3yS3cr3tF0rTh3P0rtaalXy7Zw2Qp9Lm4Nb', boats: [],
  },
  {
    id: 4, naam: 'Botenverhuur Oud', owner: 'oud.koppel', visible: false, disabled: true,
    apikey: 'pub.dead0000-beef-4000-8000-000000000004', secret: 'sk.Oud0Disabled1Key2Secret3Xx4Yy5Zz6Aa7Bb8Cc', boats: [],
  },
];

const HOUR = 3_600_000;

/** Jetties with reservations relative to `now`, so that one is occupied whenever the sandbox starts. */
export function demoJetties(now: number): SandboxJetty[] {
  return [
    { id: 4, naam: 'Roerkade', lat: '51.19479615', lon: '5.98381519', lengte: 30, reservations: [
      { van: now - HOUR, tot: now + 2 * HOUR, bedrijf: 'Rederij Cascade', schip: 'Cascade', contact: 'J. Jansen', telefoon: '0475-000000', marquee: 'Welkom aan boord van de Cascade!' },
      { van: now + 24 * HOUR, tot: now + 27 * HOUR, bedrijf: 'Rederij Cascade', schip: 'Cascade', contact: 'J. Jansen', telefoon: '0475-000000' },
    ] },
    { id: 5, naam: 'Maasboulevard', lat: '51.19745000', lon: '5.98651000', lengte: 45, reservations: [
      { van: now + 3 * HOUR, tot: now + 5 * HOUR, bedrijf: 'Rederij Maasplassen', schip: 'Maasster', contact: 'P. de Vries', telefoon: '0475-111111' },
    ] },
    { id: 6, naam: 'Haven Wessem', lat: '51.15972000', lon: '5.88166000', lengte: 20, reservations: [] },
  ];
}
