import type { DestinationStream, Logger } from 'pino';
import { collectSecrets, createScrubber } from '../config/secrets.js';
import type { KoppelConfig } from '../config/schema.js';
import { type Database, openDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { KoppelEvents } from './events.js';
import { createLogger } from './logger.js';
import type { Registries } from './registries.js';
import { Runner } from './runner.js';
import { UpstreamClients } from './upstream-clients.js';

/** Everything a command needs, built once from the config and closed in reverse order. */
export interface App {
  readonly config: KoppelConfig;
  readonly log: Logger;
  readonly db: Database;
  readonly events: KoppelEvents;
  /** The pipeline and upstream types this program was built with (handed in by the edge). */
  readonly registries: Registries;
  readonly upstreams: UpstreamClients;
  readonly runner: Runner;
  /** Removes configured secrets and URL passwords from text shown to people (the logger's own net). */
  readonly scrub: (text: string) => string;
  close(): Promise<void>;
}

export interface OpenAppOptions {
  /** Where logs go (tests pass a sink); default stdout. */
  logDestination?: DestinationStream;
  /** Apply pending migrations on open. @default true */
  migrate?: boolean;
  /**
   * An open database to use instead of opening `config.database`; the caller closes it, the app does not. For a
   * process that runs several apps one after another on the same embedded folder (the demo): one PGlite, whose
   * memory a reopen would otherwise hold twice until V8 collects the closed one.
   */
  database?: Database;
}

export function createAppLogger(config: KoppelConfig, destination?: DestinationStream): Logger {
  return createLogger({ level: config.log.level, secrets: collectSecrets(config), destination });
}

export async function openApp(config: KoppelConfig, registries: Registries, options: OpenAppOptions = {}): Promise<App> {
  const log = createAppLogger(config, options.logDestination);
  const db = options.database ?? (await openDatabase(config.database));
  const closeDb = () => (options.database ? Promise.resolve() : db.close());
  try {
    if (options.migrate !== false) await migrateToLatest(db.kysely);
  } catch (err) {
    await closeDb();
    throw err;
  }
  const events = new KoppelEvents(log);
  const upstreams = new UpstreamClients(registries.upstreams, config.upstreams, events, log, config.missingSecrets);
  const runner = new Runner({ config, db, registries, upstreams, events, log });
  return {
    config,
    log,
    db,
    events,
    registries,
    upstreams,
    runner,
    scrub: createScrubber(collectSecrets(config)),
    async close() {
      await upstreams.close();
      await closeDb();
    },
  };
}
