/**
 * `koppel console hash-password`: the hash to put in `console.users[].hashed_password`. The password is read
 * from standard input (typed without echo on a terminal, or piped), never from the command line, where it
 * would land in the shell's history and in `ps`.
 */
import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.js';
import type { CliOutput } from '../cli-args.js';
import { EXIT } from '../exit-codes.js';
import type { Wrap } from '../command-types.js';

const MIN_LENGTH = 12;

export function consoleCommand(program: Command, wrap: Wrap, io: CliOutput): void {
  const cmd = program.command('console').description('the web console the daemon serves (see the README, "Console")');
  cmd
    .command('hash-password')
    .description(`read a password (at least ${MIN_LENGTH} characters) from standard input and print its hash for console.users[].hashed_password`)
    .action(
      wrap(async () => {
        const password = process.stdin.isTTY ? await promptHidden('password: ') : (await readAll(process.stdin)).replace(/\r?\n$/, '');
        if (password.length < MIN_LENGTH) throw new ConfigError(`password: expected at least ${MIN_LENGTH} characters, got ${password.length}`);
        const { hashPassword } = await import('../../console/password.js');
        io.out(`${await hashPassword(password)}\n`);
        return EXIT.ok;
      }),
    );
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads one line from the terminal with echo off. */
function promptHidden(prompt: string): Promise<string> {
  process.stderr.write(prompt);
  const stdin = process.stdin;
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(text);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new ConfigError('cancelled'));
        if (ch === '\u007f') text = text.slice(0, -1);
        else text += ch;
      }
    };
    stdin.on('data', onData);
  });
}
