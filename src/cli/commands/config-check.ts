import type { Command } from 'commander';
import { stringify } from 'yaml';
import { configPath } from '../../config/load-config.js';
import { maskSecrets } from '../../config/secrets.js';
import { EXIT } from '../exit-codes.js';
import { loadConfig } from '../load-app.js';
import type { GlobalConfig, Wrap } from '../program.js';

/** `koppel config check`: validates and prints the resolved config (defaults filled in, secrets masked). */
export function configCheckCommand(program: Command, config: GlobalConfig, wrap: Wrap): void {
  program
    .command('config')
    .description('configuration commands')
    .command('check')
    .description('validate the config and print it resolved, secrets masked')
    .action(
      wrap(async () => {
        const cfg = loadConfig(config());
        const { source: _source, pipelines, ...rest } = cfg;
        const shown = { ...rest, pipelines: pipelines.map(({ settings, ...base }) => ({ ...base, ...(settings as object) })) };
        process.stdout.write(`# ${configPath(config())}: valid\n${stringify(maskSecrets(shown))}`);
        return EXIT.ok;
      }),
    );
}
