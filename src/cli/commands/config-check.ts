import type { Command } from 'commander';
import type { CliOutput } from '../cli-args.js';
import { stringify } from 'yaml';
import { configPath } from '../../config/load-config.js';
import { maskSecrets } from '../../config/secrets.js';
import { ConfigError } from '../../core/errors.js';
import type { KoppelConfig } from '../../config/schema.js';
import { findPipelineType, loadPipeline } from '../../core/registries.js';
import { registries } from '../../registries.js';
import { EXIT } from '../exit-codes.js';
import { loadConfig } from '../load-app.js';
import type { GlobalConfig, Wrap } from '../command-types.js';

/** `koppel config check`: validates and prints the resolved config (defaults filled in, secrets masked). */
export function configCheckCommand(program: Command, config: GlobalConfig, wrap: Wrap, io: CliOutput): void {
  program
    .command('config')
    .description('configuration commands')
    .command('check')
    .description('validate the config and print it resolved, secrets masked')
    .option('--no-secrets', 'check everything but the upstream secrets, which may be unset (list those that are)')
    .action(
      wrap(async (opts: { secrets: boolean }) => {
        const cfg = loadConfig(config(), { secrets: opts.secrets ? 'required' : 'optional' });
        await checkPipelineSettings(cfg);
        const { source: _source, pipelines, missingSecrets = [], upstreams, ...rest } = cfg;
        // The rate's source goes into a comment; the printed `rate` keeps only its keys, so the output stays a valid config.
        const shownUpstreams = Object.fromEntries(
          Object.entries(upstreams).map(([name, block]) => {
            if (!block) return [name, block];
            const { source: _rateSource, ...rate } = block.rate;
            return [name, { ...block, rate }];
          }),
        );
        const shown = { ...rest, upstreams: shownUpstreams, pipelines: pipelines.map(({ settings, ...base }) => ({ ...base, ...(settings as object) })) };
        const notSet = missingSecrets.map((m) => `# secret not set: ${m}\n`).join('');
        const verdict = opts.secrets ? 'valid' : 'valid (upstream secrets not required)';
        // YAML comments, so the output stays a valid config.
        const notes = Object.entries(cfg.upstreams)
          .filter(([, block]) => block?.allow_insecure)
          .map(([name]) => `# note: upstreams.${name}.allow_insecure is true: plaintext (http://, tls: false) to hosts other than loopback is allowed, and credentials then travel unencrypted\n`)
          .join('');
        const rates = Object.entries(upstreams)
          .flatMap(([name, block]) => (block ? [`# rate: upstreams.${name}: ${block.rate.concurrency} in flight, ${block.rate.per_second} per second, from ${block.rate.source}\n`] : []))
          .join('');
        io.out(`# ${configPath(config())}: ${verdict}\n${notSet}${notes}${rates}${stringify(maskSecrets(shown))}`);
        return EXIT.ok;
      }),
    );
}

/**
 * Each pipeline's own checks beyond the config schema (its mapping files), all of them, so one `config check`
 * lists every problem. Loads the code of the configured pipeline types only.
 */
async function checkPipelineSettings(cfg: KoppelConfig): Promise<void> {
  const problems: string[] = [];
  for (const [i, entry] of cfg.pipelines.entries()) {
    const type = findPipelineType(registries, entry.type);
    const def = type && (await loadPipeline(type));
    try {
      await def?.checkSettings?.(entry.settings, { pipeline: entry.name, global: cfg });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(`pipelines[${i}] (${entry.name}): ${err.message}`);
    }
  }
  if (problems.length) throw new ConfigError(problems.join('\n'));
}
