/**
 * The CLI dispatcher (importable by tests): dispatches to one command per file. User errors (UserError)
 * print one line `wgan-inpaint: error: …` and exit 2; anything else is a bug and prints its stack.
 */
import { parseArgs } from 'node:util';
import { UserError } from '../util/errors.js';
import type { Command } from './command.js';
import { commands } from './commands.js';

function topHelp(): string {
  const w = Math.max(...commands.map((c) => c.name.length));
  return [
    'wgan-inpaint — semantic image inpainting with Wasserstein GANs',
    '',
    'usage: wgan-inpaint <command> [options]     (wgan-inpaint <command> --help for its options)',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(topHelp());
    return name ? 0 : 1;
  }
  if (name === '--version') {
    const { VERSION } = await import('../version.js');
    console.log(VERSION);
    return 0;
  }
  const cmd: Command | undefined = commands.find((c) => c.name === name);
  if (!cmd) throw new UserError(`unknown command '${name}' (valid: ${commands.map((c) => c.name).join(', ')})`);
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(cmd.help);
    return 0;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: cmd.options, strict: true, allowPositionals: true });
  } catch (e) {
    throw new UserError(`${name}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!cmd.positionals && parsed.positionals.length) throw new UserError(`${name}: unexpected argument '${parsed.positionals[0]}' (see wgan-inpaint ${name} --help)`);
  return cmd.run(parsed.values as Record<string, string | boolean | undefined>, parsed.positionals);
}

