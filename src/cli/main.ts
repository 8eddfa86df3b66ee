#!/usr/bin/env node
/** `wgan-inpaint` bin entry: runs the CLI and maps errors to exit codes (UserError → one line, exit 2). */
import { main } from './run.js';
import { UserError } from '../util/errors.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UserError) {
      process.stderr.write(`wgan-inpaint: error: ${e.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`wgan-inpaint: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  },
);
