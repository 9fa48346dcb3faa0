import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RetryableError } from '../../src/core/errors.js';
import { KoppelEvents } from '../../src/core/events.js';
import { createLogger, listenToRunLines } from '../../src/core/logger.js';
import { retryPolicySchema } from '../../src/core/retry.js';
import { startRunSignal } from '../../src/core/run-signal.js';
import { UpstreamGateway } from '../../src/core/upstream-gateway.js';
import { RUN_LOG_HEAD, RUN_LOG_TAIL, RUN_PHASES_MAX, RunJournal } from '../../src/core/run-journal.js';
import { type TestDatabase, createTestDatabase, testDatabaseKinds } from '../helpers/database.js';
import { LogSink } from '../helpers/logs.js';

const SECRET = 'hunter2-config-secret';
// Zero backoff: a retry adds no wait of its own.
const zeroBackoff = retryPolicySchema.parse({ max_attempts: 3, base_delay_ms: 0, max_delay_ms: 0 });

describe.each(testDatabaseKinds)('RunJournal on %s', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await createTestDatabase(kind);
  });
  afterEach(() => t.drop());

  const newRun = async () =>
    Number((await t.db.kysely.insertInto('runs').values({ pipeline: 'p', type: 't', host: 'test', pid: 1, outcome: 'running', dry_run: false, full_sync: false }).returning('id').executeTakeFirstOrThrow()).id);
  const events = (runId: number) => t.db.kysely.selectFrom('run_events').selectAll().where('run_id', '=', runId).orderBy('at').orderBy('id').execute();
  const runRow = (runId: number) => t.db.kysely.selectFrom('runs').select(['log_lines_dropped', 'phases_dropped']).where('id', '=', runId).executeTakeFirstOrThrow();

  it("keeps the run's own lines at info and above, as the logger wrote them: secrets removed", async () => {
    const runId = await newRun();
    const sink = new LogSink();
    const root = createLogger({ level: 'debug', secrets: [SECRET], destination: sink });
    const journal = new RunJournal(t.db.kysely, runId);
    const log = root.child({ pipeline: 'p', runId });
    const unlisten = listenToRunLines(log, runId, (line) => journal.line(line));
    log.debug('too fine to keep');
    log.info({ url: `https://x.example/?key=${SECRET}`, n: 3 }, `calling with ${SECRET}`);
    log.child({ itemKey: 'boat-91' }).warn({ token: 'a-runtime-token', err: new Error(`refused ${SECRET}`) }, 'refused');
    root.child({ pipeline: 'p', runId: runId + 1 }).info('another run');
    root.info('no run at all');
    unlisten();
    log.info('after the run let go');
    await journal.close();

    const rows = await events(runId);
    expect(rows.map((r) => [r.kind, r.level, r.message])).toEqual([
      ['log', 30, 'calling with [redacted]'],
      ['log', 40, 'refused'],
    ]);
    expect(rows[0]!.fields).toEqual({ url: 'https://x.example/?key=[redacted]', n: 3 });
    expect(rows[1]!.fields).toEqual({ itemKey: 'boat-91', token: '[redacted]', err: 'Error: refused [redacted]' });
    expect(JSON.stringify(rows)).not.toContain(SECRET);
    expect(JSON.stringify(rows)).not.toContain('a-runtime-token');
  });

  it("keeps a shared gateway's warnings about calls made with the run's signal, and only those", async () => {
    const runId = await newRun();
    const root = createLogger({ level: 'info', destination: new LogSink() });
    const journal = new RunJournal(t.db.kysely, runId);
    const others: string[] = [];
    // Made once per process, like an upstream's gateway: its logger has no runId binding.
    const gateway = new UpstreamGateway('maasplassen', { concurrency: 4, per_second: 1000 }, zeroBackoff, new KoppelEvents(), root.child({ upstream: 'maasplassen' }));
    const failOnce = () => {
      let attempts = 0;
      return async () => {
        if (attempts++ === 0) throw new RetryableError('reset');
      };
    };
    const shutdown = new AbortController(); // the process's signal, which every run's follows
    const unlisten = listenToRunLines(root.child({ runId }), runId, (line) => journal.line(line));
    const unlistenOther = listenToRunLines(root, runId + 1, (line) => others.push(line.op as string));
    await gateway.call('before', failOnce(), { signal: shutdown.signal }); // no run's signal: no run's line
    const run = startRunSignal(shutdown.signal, runId);
    const other = startRunSignal(shutdown.signal, runId + 1);
    await Promise.all([
      gateway.call('ours', failOnce(), { signal: run.signal }),
      gateway.call('theirs', failOnce(), { signal: other.signal }),
      gateway.call('unsignalled', failOnce()),
      gateway.call('ours-again', failOnce(), { signal: run.signal }),
    ]);
    run.end();
    other.end();
    await gateway.call('after', failOnce(), { signal: run.signal }); // the run is over: its signal names no run
    unlisten();
    unlistenOther();
    await journal.close();

    const rows = (await events(runId)).filter((r) => r.kind === 'log');
    expect(rows.map((r) => [r.message, r.fields])).toEqual([
      ['upstream call failed, retrying', { upstream: 'maasplassen', op: 'ours', attempt: 1, delayMs: 0, reason: 'transient error', err: 'Object: reset' }],
      ['upstream call failed, retrying', { upstream: 'maasplassen', op: 'ours-again', attempt: 1, delayMs: 0, reason: 'transient error', err: 'Object: reset' }],
    ]);
    expect(others).toEqual(['theirs']);
  });

  it('records phases one after another, each with its last progress, and ends the last at close', async () => {
    const runId = await newRun();
    const journal = new RunJournal(t.db.kysely, runId);
    const t0 = Date.now() - 60_000; // progress() starts a phase now: the others are placed around it
    journal.phase('plan', new Date(t0));
    journal.progress('read', 0, 0);
    journal.progress('read', 5, 10);
    journal.progress(undefined, 10, 10); // no name: the current phase's figures
    journal.phase('apply', new Date(t0 + 64_000));
    journal.phase('apply'); // the current one: nothing changes
    await journal.close(new Date(t0 + 69_000));
    const rows = await events(runId);
    expect(rows.map((r) => [r.message, r.fields])).toEqual([
      ['plan', { done: 0, total: 0 }],
      ['read', { done: 10, total: 10 }],
      ['apply', { done: 0, total: 0 }],
    ]);
    expect(rows[0]!.at.getTime()).toBe(t0);
    expect(rows[2]!.at.getTime()).toBe(t0 + 64_000);
    expect(rows[2]!.ended_at!.getTime()).toBe(t0 + 69_000);
    // A phase ends where the next begins.
    expect(rows[0]!.ended_at!.getTime()).toBe(rows[1]!.at.getTime());
    expect(rows[1]!.ended_at!.getTime()).toBe(t0 + 64_000);
    expect(await runRow(runId)).toEqual({ log_lines_dropped: 0, phases_dropped: 0 });
  });

  it('is bounded: keeps the first and last lines and the first phases, and counts the rest on the run', async () => {
    const runId = await newRun();
    const journal = new RunJournal(t.db.kysely, runId);
    const total = RUN_LOG_HEAD + RUN_LOG_TAIL + 250;
    const start = Date.parse('2026-12-04T10:00:00Z');
    for (let i = 0; i < total; i++) journal.line({ level: 30, time: start + i, msg: `line ${i}` });
    for (let i = 0; i < RUN_PHASES_MAX + 7; i++) journal.phase(`phase ${i}`);
    await journal.close();
    const rows = await events(runId);
    const lines = rows.filter((r) => r.kind === 'log').map((r) => r.message);
    expect(lines).toHaveLength(RUN_LOG_HEAD + RUN_LOG_TAIL);
    expect(lines[0]).toBe('line 0');
    expect(lines[RUN_LOG_HEAD - 1]).toBe(`line ${RUN_LOG_HEAD - 1}`);
    expect(lines[RUN_LOG_HEAD]).toBe(`line ${total - RUN_LOG_TAIL}`);
    expect(lines.at(-1)).toBe(`line ${total - 1}`);
    expect(rows.filter((r) => r.kind === 'phase')).toHaveLength(RUN_PHASES_MAX);
    expect(await runRow(runId)).toEqual({ log_lines_dropped: 250, phases_dropped: 7 });
  });

  it('reports a failed write at close, not into the run', async () => {
    const journal = new RunJournal(t.db.kysely, 999_999); // no such run: the foreign key refuses
    journal.line({ level: 30, time: Date.now(), msg: 'lost' });
    journal.phase('plan');
    await expect(journal.close()).rejects.toThrow(/foreign key/);
  });
});
