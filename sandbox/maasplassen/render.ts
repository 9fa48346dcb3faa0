/**
 * How the sandbox shapes its answers. The vendor sends most numbers as strings ("max_personen": "5",
 * "id": "6") but cents as numbers; these functions keep that mix exactly as the document shows it.
 */
import type { SandboxBoat, SandboxCompany, SandboxJetty, SandboxPrize, SandboxReservation, SandboxReview } from './demo-data.js';

const TZ = 'Europe/Amsterdam';
const dateTimeFormat = new Intl.DateTimeFormat('sv-SE', {
  timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
});
const dateFormat = new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' });
const humanFormat = new Intl.DateTimeFormat('nl-NL', { timeZone: 'UTC', weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });

/** "YYYY-MM-DD HH:MM:SS" in the service's time zone, the form of every timestamp in the document. */
export const formatDateTime = (at: number): string => dateTimeFormat.format(new Date(at));
/** Today's date where the service runs (the Netherlands), the default of `/fleet/{date?}`. */
export const todayIn = (at: number): string => dateFormat.format(new Date(at));

export function addDays(isoDate: string, days: number): string {
  const d = new Date(`${isoDate}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

const DEFAULT_UPDATED_AT = '2015-03-30 12:29:44';
const absolute = (origin: string, url: string) => (/^https?:\/\//.test(url) ? url : `${origin}${url}`);

export function stars(score: number): string {
  const full = Math.round(score);
  return `<span class="sterren">${'<i class="fa fa-star"></i>'.repeat(full)}${'<i class="fa fa-star-o"></i>'.repeat(5 - full)}</span>`;
}

function averageScore(reviews: SandboxReview[]): number | null {
  return reviews.length === 0 ? null : reviews.reduce((s, r) => s + r.cijfer, 0) / reviews.length;
}

/** The `bedrijf` object of a fleet entry. */
export function renderBedrijf(company: SandboxCompany) {
  const avg = averageScore(company.reviews ?? []);
  return {
    naam: company.naam,
    url: company.url ?? null,
    email: company.email ?? null,
    id: String(company.id),
    review_cijfer: avg === null ? null : avg.toFixed(2),
    review_sterren: avg === null ? null : stars(avg),
  };
}

/** The extended company information of `/company/{id}/reviews` (v2.2). */
export function renderCompanyInfo(company: SandboxCompany) {
  return {
    ...renderBedrijf(company),
    cta: company.cta ?? 'direct',
    aantal_boten: String(company.boats.filter((b) => b.zichtbaar).length),
  };
}

/** Prizes in the requested language: desc_de for `de` when present, else the Dutch desc. */
export function localisePrizes(prizes: SandboxPrize[] | null, lang: 'nl' | 'de'): { desc: string; cents: number }[] | null {
  if (prizes === null) return null;
  return prizes.map((p) => ({ desc: lang === 'de' && p.desc_de ? p.desc_de : p.desc, cents: p.cents }));
}

export function renderFleetBoat(
  company: SandboxCompany,
  boat: SandboxBoat,
  opts: { origin: string; date: string; lang: 'nl' | 'de'; owner: string; prizes: SandboxPrize[] | null },
) {
  const cta = company.cta ?? 'direct';
  const src = encodeURIComponent(opts.owner);
  return {
    bootnaam: boat.naam,
    type: boat.type,
    beschrijving: boat.beschrijving ?? '',
    max_personen: boat.max_personen === undefined ? null : String(boat.max_personen),
    ext_id: String(boat.ext_id),
    bootid: String(boat.bootid),
    aandrijving: boat.aandrijving ?? null,
    bedrijf: renderBedrijf(company),
    beschikbaarheid: localisePrizes(opts.prizes, opts.lang),
    // Always a link to the service itself: it counts the click (per key owner) before redirecting.
    cta: { action: `${opts.origin}/cta/${boat.bootid}/${opts.date}?src=${src}`, type: cta },
    afbeelding: (boat.images ?? []).map((i) => absolute(opts.origin, i.url)),
  };
}

export function renderImages(boat: SandboxBoat, origin: string) {
  return (boat.images ?? []).map((i) => ({ url: absolute(origin, i.url), ...(i.title ? { title: i.title } : {}), bestandsnaam: i.bestandsnaam }));
}

/** One row of `POST /company/{id}/fleet/`. */
export function renderCompanyFleetBoat(boat: SandboxBoat) {
  return {
    id: String(boat.bootid),
    ext_id: String(boat.ext_id),
    naam: boat.naam,
    type: boat.type,
    zichtbaar: boat.zichtbaar ? '1' : '0',
    updated_at: boat.updated_at ?? DEFAULT_UPDATED_AT,
  };
}

/** `POST /company/{id}/boat/{id}`. */
export function renderBoatDetail(boat: SandboxBoat) {
  return {
    updated_at: boat.updated_at ?? DEFAULT_UPDATED_AT,
    id: String(boat.bootid),
    ext_id: String(boat.ext_id),
    ext_referentie: boat.ext_referentie ?? null,
    naam: boat.naam,
    type: boat.type,
    zichtbaar: boat.zichtbaar ? '1' : '0',
    beschrijving: boat.beschrijving ?? '',
    lengte: boat.lengte === undefined ? null : boat.lengte.toFixed(2),
    max_personen: boat.max_personen === undefined ? null : String(boat.max_personen),
    aandrijving: boat.aandrijving ?? null,
    standaardPrijs: (boat.standaardPrijs ?? []).map((p) => ({ desc: p.desc, cents: p.cents })),
  };
}

/** `GET /company/{id}/reviews`: stats over all reviews, the newest `limit` reviews, company info. */
export function renderReviews(company: SandboxCompany, limit: number) {
  const all = [...(company.reviews ?? [])].sort((a, b) => b.created_at.localeCompare(a.created_at));
  const scores = all.map((r) => r.cijfer);
  const avg = averageScore(all);
  return {
    stats: {
      aantal: String(all.length),
      min: scores.length ? String(Math.min(...scores)) : null,
      gem: avg === null ? null : avg.toFixed(1),
      max: scores.length ? String(Math.max(...scores)) : null,
    },
    reviews: all.slice(0, limit).map((r) => ({
      created_at: r.created_at,
      cijfer: r.cijfer.toFixed(1),
      opmerking: r.opmerking,
      naam: r.naam,
      mgt_response: r.mgt_response ?? null,
      ico: stars(r.cijfer),
      human: humanFormat.format(new Date(`${r.created_at.replace(' ', 'T')}Z`)),
    })),
    info: renderCompanyInfo(company),
  };
}

const renderReservation = (r: SandboxReservation) => ({
  van: formatDateTime(r.van),
  tot: formatDateTime(r.tot),
  bedrijf: r.bedrijf,
  schip: r.schip,
  contact: r.contact,
  telefoon: r.telefoon,
  marquee: r.marquee ?? null,
});

const current = (j: SandboxJetty, now: number) => j.reservations.find((r) => r.van <= now && now < r.tot);
const next = (j: SandboxJetty, now: number) =>
  j.reservations.filter((r) => r.van > now).sort((a, b) => a.van - b.van)[0];

/** `GET /jetty`: keyed by id; `bezet` is the marquee text (else the company) while occupied, else null. */
export function renderJetties(jetties: SandboxJetty[], now: number) {
  return Object.fromEntries(
    jetties.map((j) => {
      const r = current(j, now);
      return [String(j.id), { id: String(j.id), naam: j.naam, lat: j.lat, lon: j.lon, lengte: String(j.lengte), bezet: r ? (r.marquee ?? r.bedrijf) : null }];
    }),
  );
}

/** `POST /jetty`: the current (`huidig`) and next (`volgend`) reservation with their sensitive details. */
export function renderJettiesPrivate(jetties: SandboxJetty[], now: number) {
  return Object.fromEntries(
    jetties.map((j) => {
      const h = current(j, now);
      const v = next(j, now);
      return [String(j.id), { id: String(j.id), naam: j.naam, huidig: h ? renderReservation(h) : null, volgend: v ? renderReservation(v) : null }];
    }),
  );
}
