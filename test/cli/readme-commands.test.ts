/**
 * Every `koppel …` line of README.md's fenced code blocks, run as printed (placeholders filled from the fixture
 * below) against the sandboxes on real sockets and one clone of the template database, through the real command
 * tree (`main`, output to an injected writer), checking the exit code the README's table documents.
 *
 * A README line missing from COMMANDS fails the test, so a new line cannot be skipped silently; a COMMANDS key
 * that is no longer in the README fails too. Rules:
 * - `docker …` lines are excluded (no Docker engine here); they are not `koppel …` lines anyway.
 * - `[--x]` optional parts and `a | b | c` alternatives are expanded into separate runs.
 * - `<pipeline>`, `<request>`, `<uuid>`, `<job>`, `<index>`, `<order>`, `N`, `YYYY-MM-DD` are filled from the fixture.
 * - `koppel order <planviewer|ambita> …` is a synopsis, not a command: it maps to one representative queueing
 *   command per vendor (the Planviewer lot and the Ambita cadastre example of the README).
 * - `koppel daemon` and `koppel sandbox` block until a signal (SIGTERM to the process): they run as
 *   child processes (start, check they serve / print addresses, SIGTERM, exit code).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliOutput } from '../../src/cli/cli-args.js';
import { withApp } from '../../src/cli/load-app.js';
import { main } from '../../src/cli/program.js';
import { verifyPassword } from '../../src/console/password.js';
import { claimForOrdering, enqueueOrderRequest } from '../../src/orders/index.js';
import { dateRange, exampleAvailability, writeAvailabilityCsv } from '../../demo/availability-data.js';
import { type AmbitaSandbox, startAmbitaSandbox } from '../../sandbox/ambita/server.js';
import { type MaasplassenSandbox, startMaasplassenSandbox } from '../../sandbox/maasplassen/server.js';
import { PLANVIEWER_DEMO_CREDENTIALS, type PlanviewerSandbox, startPlanviewerSandbox } from '../../sandbox/planviewer/server.js';
import { sandboxAmbitaConfig } from '../ambita/fixtures.js';
import { ROOT, logRecords, maasUpstream, startKoppel, writeConfig } from '../fixtures/koppel-process.js';
import { pollUntil } from '../fixtures/poll.js';
import { createServerDatabase, hasPostgres } from '../helpers/database.js';

/** `koppel …` lines of the README's fenced code blocks, exactly as printed (trailing spaces trimmed). */
function readmeCommandLines(): string[] {
  const lines: string[] = [];
  let fenced = false;
  for (const line of readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    else if (fenced && line.trimStart().startsWith('koppel ')) lines.push(line.trim());
  }
  return lines;
}

/** One run of a README line: argv with `{name}` placeholders filled from the fixture, and the documented exit code. */
interface Run {
  argv: string[];
  code: 0 | 1 | 2 | 3 | 75;
  /** A child process (daemon, sandbox, or a command that reads standard input) instead of `main` in this process. */
  child?: 'daemon' | 'sandbox' | 'stdin';
  /** What is typed on standard input (`child: 'stdin'`). */
  input?: string;
}

const q = (...argv: string[]): Run => ({ argv, code: 0 });
const PV_QUEUE = ['order', 'planviewer'];

/** README line → how it is run. Keys are the exact README text; order of runs matters (later lines use earlier state). */
const COMMANDS: Record<string, Run[]> = {
  'koppel run <pipeline> [--dry-run] [--full] [--force]   run one pipeline once, now': [
    q('run', 'boats', '--dry-run'),
    q('run', 'boats'),
    q('run', 'boats', '--full'),
    q('run', 'boats', '--force'),
    q('run', 'boats', '--dry-run', '--full', '--force'),
  ],
  'koppel backfill <pipeline> [--since YYYY-MM-DD] [--until YYYY-MM-DD]   long run with a progress bar': [
    q('backfill', 'boats'),
    q('backfill', 'boats', '--since', '2027-06-01'),
    q('backfill', 'boats', '--until', '2027-06-02'),
    q('backfill', 'boats', '--since', '2027-06-01', '--until', '2027-06-02'),
  ],
  'koppel daemon [--port N]         schedule every enabled pipeline; serve /healthz, /metrics, webhooks': [
    // child process; without --port it binds http.port, which the fixture config sets to 0 (any free port)
    { argv: ['daemon', '--port', '0'], code: 0, child: 'daemon' },
    { argv: ['daemon'], code: 0, child: 'daemon' },
  ],
  'koppel status [--json]           last runs with counts, rejected rows, pending work, mirrored data': [q('status'), q('status', '--json')],
  'koppel migrate                   apply database migrations (run and daemon do this on start too)': [q('migrate')],
  'koppel config check [--no-secrets]   validate the config; print it resolved, secrets masked': [q('config', 'check'), q('config', 'check', '--no-secrets')],
  // a synopsis: one representative queueing command per vendor
  'koppel order <planviewer|ambita> …   queue an order request': [
    q(...PV_QUEUE, '--lot', 'ARNHEM P 530', '--product', 'kadastraledocumenten'),
    q('order', 'ambita', '--product', 'WI99990001', '--cadastre', '9999-1-1-0-0', '--address', 'Infoveien 1, 9999 Infoland'),
  ],
  'koppel sandbox [--port N]        start local sandboxes of all four services; print addresses and demo credentials': [
    { argv: ['sandbox', '--port', '0'], code: 0, child: 'sandbox' }, // without --port it takes 4400–4403, which may be in use here
  ],
  'koppel console hash-password     read a console password from standard input; print its hash': [
    { argv: ['console', 'hash-password'], code: 0, child: 'stdin', input: 'correct horse battery staple\n' },
    { argv: ['console', 'hash-password'], code: 2, child: 'stdin', input: 'too short\n' },
  ],
  'koppel order planviewer --address "Castellastraat 2, 6512EX Nijmegen" --product vraagprijsrapport': [
    q(...PV_QUEUE, '--address', 'Castellastraat 2, 6512EX Nijmegen', '--product', 'vraagprijsrapport'),
  ],
  // queueing succeeds (0); the wait happens in the run (fixture: the run before these lines exits 3 on it)
  'koppel order planviewer --address "Dorpsweg 8, 9999AA Groningen" --product vraagprijsrapport    # a tie with "Dorpsweg 8a": waits': [
    q(...PV_QUEUE, '--address', 'Dorpsweg 8, 9999AA Groningen', '--product', 'vraagprijsrapport'),
  ],
  'koppel order planviewer --address "Utrechtsestraat 61, 6811LW Arnhem" --product bestemmingsplanrapport [--intention newest]': [
    q(...PV_QUEUE, '--address', 'Utrechtsestraat 61, 6811LW Arnhem', '--product', 'bestemmingsplanrapport'),
    q(...PV_QUEUE, '--address', 'Utrechtsestraat 61, 6811LW Arnhem', '--product', 'bestemmingsplanrapport', '--intention', 'newest'),
  ],
  'koppel order planviewer --lot "ARNHEM P 530" --product kadastraledocumenten': [q(...PV_QUEUE, '--lot', 'ARNHEM P 530', '--product', 'kadastraledocumenten')],
  'koppel run planviewer --dry-run          # what would be ordered and downloaded': [q('run', 'planviewer', '--dry-run')],
  'koppel status                            # pending, waiting, needs-attention (with reasons), jobs waiting for a choice': [q('status')],
  'koppel order planviewer resolve <request>           # what a request waits for, with its candidates': [q(...PV_QUEUE, 'resolve', '{tie}')],
  'koppel order planviewer resolve <request> --location <uuid> | --intention <uuid> | --ordered <job> | --not-ordered': [
    q(...PV_QUEUE, 'resolve', '{tie}', '--location', '{tieLocation}'),
    q(...PV_QUEUE, 'resolve', '{intentions}', '--intention', '{intention}'),
    q(...PV_QUEUE, 'resolve', '{interrupted1}', '--ordered', 'job-found-in-the-account'),
    q(...PV_QUEUE, 'resolve', '{interrupted2}', '--not-ordered'),
  ],
  'koppel order planviewer select <job> <index>        # answer a job waiting for the user': [q(...PV_QUEUE, 'select', '{job}', '{index}')],
  'koppel order planviewer retry <request>': [q(...PV_QUEUE, 'retry', '{retry}')],
  'koppel order ambita --product WI99990001 --cadastre 9999-1-1-0-0 --address "Infoveien 1, 9999 Infoland"': [
    q('order', 'ambita', '--product', 'WI99990001', '--cadastre', '9999-1-1-0-0', '--address', 'Infoveien 1, 9999 Infoland'),
  ],
  'koppel run ambita --dry-run              # what would be ordered, downloaded and deleted': [q('run', 'ambita', '--dry-run')],
  'koppel order ambita resolve <request> --ordered <order> | --not-ordered   # an order whose answer was lost': [
    q('order', 'ambita', 'resolve', '{ambitaLost1}', '--ordered', '{ambitaLostOrder}'),
    q('order', 'ambita', 'resolve', '{ambitaLost2}', '--not-ordered'),
  ],
  'koppel order ambita retry <request>      # a failed or needs-attention request with no order recorded': [q('order', 'ambita', 'retry', '{ambitaFailed}')],
  'koppel order ambita track <order>        # mirror an order placed outside koppel (e.g. in Ambita\'s web shop)': [
    q('order', 'ambita', 'track', '{ambitaOutside}'),
  ],
};

function getStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port, path }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
}

describe('README command lines are all mapped', () => {
  it('every `koppel …` line of a fenced block has a row in COMMANDS, and every row is still in the README', () => {
    const lines = readmeCommandLines();
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.filter((l) => !(l in COMMANDS)), 'README lines without a row in COMMANDS').toEqual([]);
    expect(Object.keys(COMMANDS).filter((k) => !lines.includes(k)), 'COMMANDS rows no longer in the README').toEqual([]);
    for (const [line, runs] of Object.entries(COMMANDS)) expect(runs.length, line).toBeGreaterThan(0);
  });
});

describe.skipIf(!hasPostgres)('README command lines work as printed', () => {
  let dir: string;
  let maas: MaasplassenSandbox;
  let pv: PlanviewerSandbox;
  let ambita: AmbitaSandbox;
  let dropDb: () => Promise<void>;
  let config: string;
  let logged: string;
  const fx: Record<string, string> = {};

  async function koppel(...argv: string[]): Promise<{ code: number; err: string; out: string }> {
    const captured = { out: '', err: '' };
    const io: CliOutput = { out: (t) => void (captured.out += t), err: (t) => void (captured.err += t) };
    const code = await main(['node', 'koppel', '--config', config, ...argv], io);
    return { code, ...captured };
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'koppel-readme-'));
    [maas, pv, ambita] = await Promise.all([startMaasplassenSandbox(), startPlanviewerSandbox(), startAmbitaSandbox()]);
    const server = await createServerDatabase();
    dropDb = server.drop;
    const csv = join(dir, 'availability.csv');
    await writeAvailabilityCsv(csv, exampleAvailability(['91'], dateRange('2027-06-01', 2)));
    const raw = {
      database: { url: server.config.url },
      storage: { root: join(dir, 'files') },
      http: { host: '127.0.0.1', port: 0 },
      log: { level: 'silent' },
      upstreams: {
        maasplassen: { ...maasUpstream(maas), secret: String(maas.credentials.secret) },
        planviewer: { base_url: pv.url, ...PLANVIEWER_DEMO_CREDENTIALS, daily_order_cap: 10 },
        ambita: sandboxAmbitaConfig(ambita),
      },
      pipelines: [
        { name: 'boats', type: 'maasplassen-availability', source: { csv } },
        { name: 'planviewer', type: 'planviewer-mirror', poll: { initial_delay_ms: 0, max_delay_ms: 0, max_wait_ms: 30_000 } },
        { name: 'ambita', type: 'ambita-mirror', municipalities: ['9999'] },
      ],
    };
    config = await writeConfig(join(dir, 'koppel.yaml'), raw);
    // the daemon child reports its port in its 'daemon started' log line
    logged = await writeConfig(join(dir, 'logged.yaml'), { ...raw, log: { level: 'info' } });

    // The fixture behind the placeholders: a tie, a request with several intentions, a job waiting for the
    // user, two interrupted orders (intent recorded, answer lost), all made real by one Planviewer run.
    expect(await koppel('migrate')).toMatchObject({ code: 0 });
    const ids = await withApp(config, async (app) => {
      const db = app.db.kysely;
      const queue = async (request: Record<string, unknown>) => (await enqueueOrderRequest(db, { upstream: 'planviewer', pipeline: 'planviewer', request })).request.id;
      const tie = await queue({ address: 'Dorpsweg 8, 9999AA Groningen', product: 'vraagprijsrapport' });
      const intentions = await queue({ address: 'Utrechtsestraat 61, 6811LW Arnhem', product: 'bestemmingsplanrapport' });
      const choice = await queue({ address: '9999AA 8a', product: 'eigendomsinformatie' });
      const interrupted = [];
      for (const product of ['vraagprijsrapport', 'kadastraledocumenten']) {
        const id = await queue({ address: '5611EB 12', product });
        const claim = await claimForOrdering(db, {
          requestId: id,
          upstream: 'planviewer',
          pipeline: 'planviewer',
          target: `intention-${product}`,
          dailyCap: 10,
          timeZone: 'Europe/Amsterdam',
          details: { product, intention: { uuid: `intention-${product}` }, location: { uuid: 'loc-5611EB-12', title: '5611EB 12' } },
          now: new Date(Date.now() - 86_400_000),
        });
        expect(claim.ok).toBe(true);
        interrupted.push(id);
      }
      return { tie, intentions, choice, interrupted };
    });
    expect(await koppel('run', 'planviewer')).toMatchObject({ code: 3 }); // the tie and the intentions wait for a person
    await withApp(config, async (app) => {
      const db = app.db.kysely;
      const details = async (id: number) => {
        const row = await db.selectFrom('order_requests').select(['status', 'details']).where('id', '=', id).executeTakeFirstOrThrow();
        expect(row.status, `request ${id}`).toBe('waiting');
        return row.details as { candidates: { uuid: string }[] };
      };
      fx.tie = String(ids.tie);
      fx.tieLocation = (await details(ids.tie)).candidates[1]!.uuid;
      fx.intentions = String(ids.intentions);
      fx.intention = (await details(ids.intentions)).candidates[0]!.uuid;
      const job = await db.selectFrom('planviewer_jobs').select(['job_uuid', 'status', 'waiting']).where('request_id', '=', ids.choice).executeTakeFirstOrThrow();
      expect(job.status).toBe('waiting for user');
      fx.job = job.job_uuid;
      fx.index = Object.keys((job.waiting as { locaties: Record<string, string> }).locaties)[0]!;
      fx.interrupted1 = String(ids.interrupted[0]);
      fx.interrupted2 = String(ids.interrupted[1]);
      fx.retry = String(ids.tie); // pending again once resolved above it
    });

    // Ambita: two orders whose answer is lost (they need attention; Ambita placed both), one request that fails
    // (not a valid order request, nothing ordered), and one order placed outside koppel, in Ambita's shop.
    const ambitaIds = await withApp(config, async (app) => {
      const queue = async (request: Record<string, unknown>) => (await enqueueOrderRequest(app.db.kysely, { upstream: 'ambita', pipeline: 'ambita', request })).request.id;
      const lost = [];
      for (const cadastre of ['9999-1-2-0-0', '9999-1-3-0-0']) lost.push(await queue({ products: ['WI99990001'], orderData: { cadastre, address: 'Infoveien 1, 9999 Infoland' } }));
      return { lost, failed: await queue({ products: [] }) };
    });
    ambita.loseNextOrderAnswers(2);
    expect(await koppel('run', 'ambita')).toMatchObject({ code: 3 }); // the lost answers need a person, one request failed
    await withApp(config, async (app) => {
      const states = await app.db.kysely.selectFrom('order_requests').select(['id', 'status']).where('upstream', '=', 'ambita').orderBy('id').execute();
      expect(states.map((r) => r.status)).toEqual(['needs-attention', 'needs-attention', 'failed']);
    });
    fx.ambitaLost1 = String(ambitaIds.lost[0]);
    fx.ambitaLost2 = String(ambitaIds.lost[1]);
    const placed = [...ambita.book.orders.values()].find((o) => o.technicalReference === fx.ambitaLost1);
    expect(placed, 'the order Ambita placed for the lost answer').toBeDefined();
    fx.ambitaLostOrder = String(placed!.id);
    fx.ambitaFailed = String(ambitaIds.failed);
    fx.ambitaOutside = String((await ambita.placeOrder({ productCodes: ['WI99990001'], cadastre: '9999-1-4-0-0' })).id);
  }, 60_000);
  afterAll(async () => {
    await dropDb?.();
    await Promise.all([maas?.close(), pv?.close(), ambita?.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  async function child(run: Run, argv: string[]): Promise<void> {
    if (run.child === 'stdin') {
      const done = await startKoppel(argv, {}, run.input).exited;
      expect({ argv: argv.join(' '), code: done.code, err: done.stderr }).toMatchObject({ argv: argv.join(' '), code: run.code });
      if (run.code === 0) expect(await verifyPassword(run.input!.trim(), done.stdout.trim()), 'the printed hash verifies the typed password').toBe(true);
      return;
    }
    const proc = startKoppel([...argv, '--config', run.child === 'daemon' ? logged : config]);
    try {
      if (run.child === 'daemon') {
        const started = await pollUntil(
          'the daemon to report its port',
          () => {
            if (proc.child.exitCode !== null) throw new Error(`daemon exited with ${proc.child.exitCode}: ${proc.stderr}${proc.stdout}`);
            return logRecords(proc.stdout).find((r) => r.msg === 'daemon started');
          },
          30_000,
        );
        expect(await getStatus(Number(started.port), '/healthz')).toBe(200);
      } else {
        await pollUntil(
          'the sandbox addresses',
          () => {
            if (proc.child.exitCode !== null) throw new Error(`sandbox exited with ${proc.child.exitCode}: ${proc.stderr}${proc.stdout}`);
            return proc.stdout.includes('Ctrl-C stops the sandboxes.');
          },
          30_000,
        );
        for (const name of ['maasplassen', 'planogrambuilder', 'planviewer', 'ambita']) expect(proc.stdout).toMatch(new RegExp(`^${name} +\\S+:\\d+`, 'm'));
      }
      proc.child.kill('SIGTERM');
      expect((await proc.exited).code).toBe(run.code);
    } finally {
      proc.child.kill('SIGKILL');
    }
  }

  for (const line of readmeCommandLines()) {
    it(line, async () => {
      const runs = COMMANDS[line];
      expect(runs, 'a README line without a row in COMMANDS').toBeDefined();
      for (const run of runs!) {
        const argv = run.argv.map((a) =>
          a.replace(/\{(\w+)\}/g, (_, k: string) => {
            expect(fx[k], `fixture value ${k}`).toBeDefined();
            return fx[k]!;
          }),
        );
        if (run.child) await child(run, argv);
        else {
          const res = await koppel(...argv);
          expect({ argv: argv.join(' '), code: res.code, err: res.err }).toMatchObject({ argv: argv.join(' '), code: run.code });
        }
      }
    }, 60_000);
  }
});
