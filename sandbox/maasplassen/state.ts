/**
 * The sandbox's memory: companies and their keys, boats, pushed availability, and the view/click events the
 * stats endpoint reports. Every mutation is synchronous, so a request's changes land all at once between two
 * other requests (that is what makes the availability rollback real: nothing is written before all is valid).
 */
import { normaliseKey } from './auth.js';
import type { SandboxBoat, SandboxCompany, SandboxJetty, SandboxPrize } from './demo-data.js';

/** One boat-date of a validated availability update. */
export interface AvailabilityEntry {
  extId: string;
  date: string;
  prizes: SandboxPrize[] | null;
}

/** A fleet listing (view) or a call-to-action click, attributed to the key owner that caused it. */
export interface StatEvent {
  companyId: number;
  owner: string;
  kind: 'view' | 'click';
  at: number;
}

export type KeyLookup =
  | { status: 'ok'; company: SandboxCompany; owner: string; secret: string; superkey: boolean }
  | { status: 'disabled' }
  | { status: 'unknown' };

const ownerOf = (c: SandboxCompany) => c.owner ?? `${c.naam.toLowerCase().replace(/[^a-z0-9]/g, '')}.api`;
const slot = (companyId: number, extId: string, date: string) => `${companyId}|${extId}|${date}`;

function copyBoat(boat: SandboxBoat): SandboxBoat {
  return structuredClone(boat);
}

export class SandboxState {
  readonly #companies = new Map<number, SandboxCompany>();
  /** Normalised key → company id; each company's key appears exactly once. */
  readonly #keys = new Map<string, number>();
  /** Normalised keys answered with 503 ApiKeyDisabledException. */
  readonly #disabled = new Set<string>();
  /** `company|ext_id|date` → prizes (null = blocked); a missing slot means nothing was ever pushed. */
  readonly #availability = new Map<string, SandboxPrize[] | null>();
  readonly events: StatEvent[] = [];
  readonly jetties: SandboxJetty[];

  constructor(companies: SandboxCompany[], jetties: SandboxJetty[]) {
    for (const company of companies) this.#addCompany(structuredClone(company));
    this.jetties = structuredClone(jetties);
  }

  #addCompany(company: SandboxCompany): void {
    if (this.#companies.has(company.id)) throw new Error(`sandbox: duplicate company id ${company.id}`);
    const key = normaliseKey(company.apikey);
    if (this.#keys.has(key)) throw new Error(`sandbox: duplicate apikey for company ${company.id}`);
    const boats = company.boats;
    company.boats = [];
    this.#companies.set(company.id, company);
    this.#keys.set(key, company.id);
    if (company.disabled) this.#disabled.add(key);
    for (const boat of boats) this.addBoat(company.id, boat);
  }

  companies(): SandboxCompany[] {
    return [...this.#companies.values()];
  }

  company(id: number): SandboxCompany | undefined {
    return this.#companies.get(id);
  }

  lookupKey(apikey: string): KeyLookup {
    const key = normaliseKey(apikey);
    const id = this.#keys.get(key);
    const company = id === undefined ? undefined : this.#companies.get(id);
    if (!company) return { status: 'unknown' };
    if (this.#disabled.has(key)) return { status: 'disabled' };
    return { status: 'ok', company, owner: ownerOf(company), secret: company.secret, superkey: company.superkey === true };
  }

  setKeyDisabled(apikey: string, disabled: boolean): void {
    const key = normaliseKey(apikey);
    if (!this.#keys.has(key)) throw new Error('sandbox: no company has this apikey');
    if (disabled) this.#disabled.add(key);
    else this.#disabled.delete(key);
  }

  addBoat(companyId: number, boat: SandboxBoat): void {
    const company = this.#companies.get(companyId);
    if (!company) throw new Error(`sandbox: no company ${companyId}`);
    if (this.boatById(boat.bootid)) throw new Error(`sandbox: bootid ${boat.bootid} already exists`);
    if (this.boatByExtId(companyId, boat.ext_id)) throw new Error(`sandbox: ext_id ${boat.ext_id} already exists in company ${companyId}`);
    company.boats.push(copyBoat(boat));
  }

  /** The boat leaves the company's fleet (sold, or removed in the back office); its pushed availability stays. */
  removeBoat(companyId: number, extId: string): SandboxBoat | undefined {
    const company = this.#companies.get(companyId);
    if (!company) throw new Error(`sandbox: no company ${companyId}`);
    const boat = this.boatByExtId(companyId, extId);
    company.boats = company.boats.filter((b) => b !== boat);
    return boat;
  }

  /** Our ids are unique across companies. */
  boatById(bootid: number): { company: SandboxCompany; boat: SandboxBoat } | undefined {
    for (const company of this.#companies.values()) {
      const boat = company.boats.find((b) => b.bootid === bootid);
      if (boat) return { company, boat };
    }
    return undefined;
  }

  /** ext_ids are compared as strings: a pushed `91` and a stored `"91"` are the same boat. */
  boatByExtId(companyId: number, extId: string): SandboxBoat | undefined {
    return this.#companies.get(companyId)?.boats.find((b) => String(b.ext_id) === extId);
  }

  /** The ext_ids of a company's fleet, as strings (see boatByExtId); empty for an unknown company. */
  fleetExtIds(companyId: number): Set<string> {
    return new Set(this.#companies.get(companyId)?.boats.map((b) => String(b.ext_id)));
  }

  /**
   * Commits a whole validated update in one synchronous pass; later entries overwrite earlier ones. The entries'
   * prizes become the store's: validateUpdate builds them for it, sharing no object with the request or the answer.
   */
  commitAvailability(companyId: number, entries: AvailabilityEntry[]): void {
    for (const e of entries) this.#availability.set(slot(companyId, e.extId, e.date), e.prizes);
  }

  /** Stored prizes; null = blocked; undefined = never pushed. Returns a copy. */
  availability(companyId: number, extId: string, date: string): SandboxPrize[] | null | undefined {
    const value = this.#availability.get(slot(companyId, String(extId), date));
    return value === undefined || value === null ? value : structuredClone(value);
  }

  availabilityCount(companyId?: number): number {
    if (companyId === undefined) return this.#availability.size;
    const prefix = `${companyId}|`;
    let n = 0;
    for (const key of this.#availability.keys()) if (key.startsWith(prefix)) n++;
    return n;
  }

  record(event: StatEvent): void {
    this.events.push(event);
  }

  /** Forgets pushed availability and stats events; companies, boats and disabled keys stay. */
  reset(): void {
    this.#availability.clear();
    this.events.length = 0;
  }
}
