import type { Command } from 'commander';
import type { CliOutput } from '../cli-args.js';
import { migrateToLatest } from '../../db/migrate.js';
import { EXIT } from '../exit-codes.js';
import { withApp } from '../load-app.js';
import type { GlobalConfig, Wrap } from '../command-types.js';

export function migrateCommand(program: Command, config: GlobalConfig, wrap: Wrap, io: CliOutput): void {
  program
    .command('migrate')
    .description('apply pending database migrations')
    .action(
      wrap(() =>
        withApp(
          config(),
          async (app) => {
            const result = await migrateToLatest(app.db.kysely);
            const applied = result.results?.filter((r) => r.status === 'Success').map((r) => r.migrationName) ?? [];
            io.out(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
            return EXIT.ok;
          },
          { migrate: false, secrets: 'optional' },
        ),
      ),
    );
}
