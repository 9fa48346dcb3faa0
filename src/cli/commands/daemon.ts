import type { Command } from 'commander';
import { EXIT } from '../exit-codes.js';
import { loadConfig } from '../load-app.js';
import { openApp } from '../../registries.js';
import type { GlobalConfig, Wrap } from '../command-types.js';

/** `koppel daemon`: runs until SIGTERM/SIGINT; the first signal stops gracefully, the second forcefully. */
export function daemonCommand(program: Command, config: GlobalConfig, wrap: Wrap): void {
  program
    .command('daemon')
    .description('schedule every enabled pipeline, serve /healthz, /metrics and webhooks')
    .option('--port <port>', 'override http.port', (v) => Number.parseInt(v, 10))
    .action(
      wrap(async (opts: { port?: number }) => {
        const app = await openApp(loadConfig(config()));
        // The daemon alone needs prom-client (/metrics) and node-cron: loaded for this command only.
        const { startDaemon } = await import('../../core/daemon.js');
        const daemon = await startDaemon(app, { port: opts.port });
        await new Promise<void>((resolve) => {
          let signals = 0;
          const onSignal = (signal: NodeJS.Signals) => {
            if (signals++ > 0) return daemon.abort();
            app.log.info({ signal }, 'signal received');
            void daemon.stop().then(resolve);
          };
          process.on('SIGTERM', onSignal).on('SIGINT', onSignal);
        });
        await app.close();
        return EXIT.ok;
      }),
    );
}
