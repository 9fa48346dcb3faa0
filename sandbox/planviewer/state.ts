/**
 * The sandbox's in-memory Planviewer: accounts, the daily order cap, jobs and their lifecycle, deliverables.
 * Pure state and rules, no HTTP (see server.ts), so the rules read like the vendor pages.
 */
import { createCipheriv, createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { JobStatus } from '../../src/upstreams/planviewer/api.js';
import {
  HOSTILE_FILENAMES,
  type JobOutcome,
  type SandboxIntention,
  type SandboxLocation,
  sandboxIntentions,
  sandboxLocations,
} from './data.js';

export interface SandboxAccount {
  accessKey: string;
  secret: string;
  /** Without payment on account, ordering answers 402. */
  paymentOnAccount: boolean;
}

export interface SandboxJob {
  uuid: string;
  account: string;
  intention: string;
  product: string;
  location: string;
  outcome: JobOutcome;
  status: JobStatus;
  current: number;
  total: number;
  /** The 1-based choice made through kik/select, once made. */
  selected?: number | undefined;
  size: number;
  filename: string;
  contentType: string;
  orderedAt: Date;
}

export interface OrderPlaced {
  account: string;
  intention: string;
  job: string;
  at: Date;
}

export interface SandboxStateOptions {
  /** Orders per account per day before the warning e-mail. @default 10 */
  dailyCap?: number;
  /** Orders still accepted past the cap after the warning ("you can still place a few"). @default 2 */
  capGrace?: number;
  /** Lifecycle steps per job (progress.total); @default derived from the job (3..6) */
  steps?: number;
  /** 'poll': each status poll that names a job moves it one step; 'manual': only `advance()` does. @default 'poll' */
  lifecycle?: 'poll' | 'manual';
  /** Deliverable size in bytes for a job. @default derived from the job, 20 KiB..180 KiB */
  deliverableSize?: (job: { uuid: string; product: string }) => number;
  /** Send hostile Content-Disposition filenames (cycled through HOSTILE_FILENAMES). @default false */
  hostileFilenames?: boolean;
  now?: () => Date;
}

export class PlanviewerSandboxState {
  readonly accounts = new Map<string, SandboxAccount>();
  readonly locations: SandboxLocation[] = sandboxLocations();
  readonly intentions: Map<string, SandboxIntention>;
  readonly jobs = new Map<string, SandboxJob>();
  readonly orders: OrderPlaced[] = [];
  /** Warning e-mails "sent" when an account reached its cap, one per account and day. */
  readonly capEmails: { account: string; day: string }[] = [];
  readonly retrievals = new Map<string, number>();
  dailyCap: number;
  capGrace: number;
  readonly #options: SandboxStateOptions;
  #hostileIndex = 0;

  constructor(options: SandboxStateOptions = {}) {
    this.#options = options;
    this.dailyCap = options.dailyCap ?? 10;
    this.capGrace = options.capGrace ?? 2;
    this.intentions = new Map(sandboxIntentions(this.locations).map((i) => [i.uuid, i]));
  }

  #now(): Date {
    return this.#options.now?.() ?? new Date();
  }

  /** The account for a basic-auth pair, or undefined. */
  authenticate(accessKey: string, secret: string): SandboxAccount | undefined {
    const account = this.accounts.get(accessKey);
    return account && account.secret === secret ? account : undefined;
  }

  ordersToday(account: string): number {
    const day = this.#now().toISOString().slice(0, 10);
    return this.orders.filter((o) => o.account === account && o.at.toISOString().slice(0, 10) === day).length;
  }

  /**
   * Places orders for `uuids` or refuses all of them: 'unknown' (400), 'payment' (402), 'cap' (429).
   * The cap is checked for the whole set first, so a refused call places nothing.
   */
  order(account: SandboxAccount, uuids: readonly string[]): { jobs: { uuid: string; job: string }[] } | { refused: 'unknown' | 'payment' | 'cap' } {
    if (uuids.some((u) => !this.intentions.has(u))) return { refused: 'unknown' };
    if (!account.paymentOnAccount) return { refused: 'payment' };
    const today = this.ordersToday(account.accessKey);
    if (today + uuids.length > this.dailyCap + this.capGrace) return { refused: 'cap' };
    if (today + uuids.length >= this.dailyCap) this.#capEmail(account.accessKey);
    const jobs = uuids.map((intentionUuid) => {
      const intention = this.intentions.get(intentionUuid)!;
      const uuid = randomUUID();
      const digest = createHash('sha256').update(uuid).digest();
      const size = this.#options.deliverableSize?.({ uuid, product: intention.product }) ?? 20 * 1024 + (digest.readUInt32BE(0) % (160 * 1024));
      const job: SandboxJob = {
        uuid,
        account: account.accessKey,
        intention: intentionUuid,
        product: intention.product,
        location: intention.location,
        outcome: intention.outcome,
        status: 'initial',
        current: 0,
        total: this.#options.steps ?? 3 + (digest[4]! % 4),
        size,
        ...this.#fileMeta(intention, uuid),
        orderedAt: this.#now(),
      };
      this.jobs.set(uuid, job);
      this.orders.push({ account: account.accessKey, intention: intentionUuid, job: uuid, at: job.orderedAt });
      return { uuid: intentionUuid, job: uuid };
    });
    return { jobs };
  }

  /** A job that is already finished, without an order (for benchmarks that measure downloads alone). */
  addFinishedJob(accessKey: string, intentionUuid: string, size: number): SandboxJob {
    const intention = this.intentions.get(intentionUuid);
    if (!intention) throw new Error(`no sandbox intention ${intentionUuid}`);
    const uuid = randomUUID();
    const job: SandboxJob = {
      uuid,
      account: accessKey,
      intention: intentionUuid,
      product: intention.product,
      location: intention.location,
      outcome: 'finished',
      status: 'finished',
      current: 1,
      total: 1,
      size,
      ...this.#fileMeta(intention, uuid),
      orderedAt: this.#now(),
    };
    this.jobs.set(uuid, job);
    return job;
  }

  /** Called for each job named in a status poll. */
  polled(job: SandboxJob): void {
    if ((this.#options.lifecycle ?? 'poll') === 'poll') this.advance(job.uuid);
  }

  /**
   * Moves a job (or every job) `steps` steps: initial → in_progress (current grows) → finished, or error
   * half-way, or 'waiting for user' half-way until a choice is selected.
   */
  advance(jobUuid?: string, steps = 1): void {
    const targets = jobUuid ? [this.jobs.get(jobUuid)].filter((j) => j !== undefined) : [...this.jobs.values()];
    for (const job of targets) {
      for (let i = 0; i < steps; i++) this.#step(job);
    }
  }

  #step(job: SandboxJob): void {
    if (job.status === 'finished' || job.status === 'error' || job.status === 'waiting for user') return;
    if (job.status === 'initial') {
      job.status = 'in_progress';
      return;
    }
    job.current += 1;
    const half = Math.ceil(job.total / 2);
    if (job.outcome === 'error' && job.current >= half) job.status = 'error';
    else if (job.outcome === 'waiting' && job.selected === undefined && job.current >= half) job.status = 'waiting for user';
    else if (job.current >= job.total) job.status = 'finished';
  }

  /** kik/select: records the choice and lets the job go on. */
  select(job: SandboxJob, index: number): void {
    job.selected = index;
    job.status = 'in_progress';
  }

  /** The deliverable's bytes: an AES-CTR keystream keyed by the job uuid, so they are cheap, large and reproducible. */
  deliverable(job: SandboxJob, chunkSize = 64 * 1024): Readable {
    const key = createHash('sha256').update(`deliverable:${job.uuid}`).digest();
    const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
    const zeros = Buffer.alloc(chunkSize);
    let left = job.size;
    return new Readable({
      read() {
        if (left <= 0) {
          this.push(null);
          return;
        }
        const n = Math.min(chunkSize, left);
        left -= n;
        this.push(cipher.update(n === chunkSize ? zeros : zeros.subarray(0, n)));
      },
    });
  }

  /** sha256 of a job's deliverable, as a client should find on disk. */
  async expectedSha256(jobUuid: string): Promise<string> {
    const job = this.jobs.get(jobUuid);
    if (!job) throw new Error(`no sandbox job ${jobUuid}`);
    const hash = createHash('sha256');
    for await (const chunk of this.deliverable(job)) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }

  #capEmail(account: string): void {
    const day = this.#now().toISOString().slice(0, 10);
    if (!this.capEmails.some((e) => e.account === account && e.day === day)) this.capEmails.push({ account, day });
  }

  #fileMeta(intention: SandboxIntention, job: string): { filename: string; contentType: string } {
    if (this.#options.hostileFilenames) {
      const filename = HOSTILE_FILENAMES[this.#hostileIndex++ % HOSTILE_FILENAMES.length]!;
      return { filename, contentType: 'application/pdf' };
    }
    const loc = this.locations.find((l) => l.uuid === intention.location);
    const slug = (loc?.title ?? 'locatie').toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
    const planId = intention.properties.plan_id;
    const plan = typeof planId === 'string' ? `_${planId.toLowerCase().replace(/\./g, '_')}` : '';
    const date = this.#now().toISOString().slice(0, 10).replace(/-/g, '');
    const zip = intention.product === 'kadastraledocumenten';
    return {
      filename: `${date}_${intention.product}_${slug}${plan}_${job.slice(0, 8)}.${zip ? 'zip' : 'pdf'}`,
      contentType: zip ? 'application/zip' : 'application/pdf',
    };
  }
}
