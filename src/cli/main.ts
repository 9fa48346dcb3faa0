#!/usr/bin/env node
import { main } from './program.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`koppel: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
