import type { App } from './app.js';
import { startHttpServer } from './http-server.js';
import { createMetrics } from './metrics.js';
import { findPipelineType, loadPipeline } from './registries.js';
import { schedulePipelines } from './scheduler.js';
import type { WebhookRoute } from './types.js';

export interface DaemonHandle {
  readonly port: number;
  /** Graceful stop: no new ticks, runs finish or checkpoint their item, locks released, sessions closed. */
  stop(): Promise<void>;
  /** Forceful stop: in-flight calls aborted. */
  abort(): void;
}

/** The long-lived worker: cron schedules, /healthz, /metrics and webhook routes. */
export async function startDaemon(app: App, options: { port?: number } = {}): Promise<DaemonHandle> {
  const { config, runner, log, db, events, upstreams } = app;
  const registry = createMetrics(events, () => upstreams.depths());
  const routes: WebhookRoute[] = [];
  for (const entry of config.pipelines) {
    const type = findPipelineType(app.registries, entry.type);
    if (!entry.enabled || !type) continue;
    const def = await loadPipeline(type);
    if (!def.webhooks) continue;
    routes.push(
      ...def.webhooks({
        pipeline: entry.name,
        config: entry.settings,
        global: config,
        db: db.kysely,
        log: log.child({ pipeline: entry.name, webhook: true }),
        trigger: (opts) => {
          void runner.trigger(entry.name, opts).then(
            (result) => result.outcome === 'skipped' && log.info({ pipeline: entry.name, reason: result.reason }, 'triggered run skipped'),
            (err: unknown) => log.error({ err, pipeline: entry.name }, 'triggered run failed'),
          );
        },
      }),
    );
  }
  // Loaded only when configured: a daemon without a console never imports its framework.
  const web = config.console ? (await import('../console/server.js')).createConsole(app, config.console, registry) : undefined;
  const http = await startHttpServer({
    port: options.port ?? config.http.port,
    host: config.http.host,
    log,
    routes,
    mount: web,
    health: async () => {
      try {
        await db.kysely.selectNoFrom((eb) => eb.lit(1).as('one')).execute();
        return { ok: !runner.stopping, detail: { database: 'ok', running: runner.active, stopping: runner.stopping } };
      } catch (err) {
        // A driver's message may quote the connection URL, password included: scrubbed as a log line is.
        return { ok: false, detail: { database: app.scrub((err as Error).message) } };
      }
    },
    metrics: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  });
  const scheduler = schedulePipelines(config.pipelines, runner, log);
  if (web) log.info({ path: web.prefix }, 'console served');
  log.info({ port: http.port, routes: routes.map((r) => `${r.method} ${r.path.replace(/:[^/]+/g, ':…')}`) }, 'daemon started');

  let stopped: Promise<void> | undefined;
  return {
    port: http.port,
    stop() {
      stopped ??= (async () => {
        log.info('stopping: no new runs; finishing the work in hand');
        await scheduler.stop();
        await runner.shutdown(config.daemon.shutdown_grace_ms);
        await http.close();
        web?.close();
        log.info('stopped');
      })();
      return stopped;
    },
    abort() {
      log.warn('forced stop: aborting runs in progress');
      runner.abort();
    },
  };
}
