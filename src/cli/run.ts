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

/** Edit distance with adjacent transpositions (optimal string alignment), for "did you mean". */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i]!,
        up = d[i - 1]!;
      row[j] = Math.min(up[j]! + 1, row[j - 1]! + 1, up[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest of `names` to `given` when it is close enough to be a typo (≤ 1 edit per 3 letters). */
export function closest(given: string, names: readonly string[]): string | undefined {
  let best: string | undefined,
    d = Infinity;
  for (const n of names) {
    const k = editDistance(given, n);
    if (k < d) [best, d] = [n, k];
  }
  return best !== undefined && d <= Math.max(1, Math.floor(given.length / 3)) ? best : undefined;
}

/** node:util parseArgs errors in our words: `unknown option --itres; did you mean --iters?`. */
function parseErrorMessage(e: Error & { code?: string }, flags: string[]): string {
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const opt = /Unknown option '([^']+)'/.exec(e.message)?.[1] ?? '';
    const guess = opt.startsWith('--') ? closest(opt.slice(2), flags) : undefined;
    return `unknown option ${opt}${guess ? `; did you mean --${guess}?` : ''} (see --help)`;
  }
  const missing = /^Option '(--[\w-]+)(?:, -\w)? <value>' argument missing/.exec(e.message);
  if (missing) return `${missing[1]} needs a value`;
  const noArg = /^Option '(--[\w-]+)' does not take an argument/.exec(e.message);
  if (noArg) return `${noArg[1]} is a switch and takes no value`;
  return e.message.split('\n')[0]!;
}

/**
 * `--iters -5` as `--iters=-5`: parseArgs takes a value that starts with a dash for an option of its
 * own and calls it "ambiguous", so a negative number never reached its bound's message ("must be ≥
 * 1"). Only a decimal number after an option that takes a value is joined (no option is a number).
 */
export function joinNegativeValues(args: string[], options: Command['options']): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!,
      next = args[i + 1];
    if (a === '--') return [...out, ...args.slice(i)];
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : undefined;
    if (
      name !== undefined &&
      options[name]?.type === 'string' &&
      next !== undefined &&
      /^-(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(next)
    ) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
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
  if (!cmd) {
    const guess = closest(
      name,
      commands.map((c) => c.name),
    );
    throw new UserError(
      `unknown command '${name}'${guess ? `; did you mean '${guess}'?` : ''} (valid: ${commands.map((c) => c.name).join(', ')})`,
    );
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(cmd.help);
    return 0;
  }
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: joinNegativeValues(rest, cmd.options),
      options: cmd.options,
      strict: true,
      allowPositionals: true,
    });
  } catch (e) {
    throw new UserError(`${name}: ${parseErrorMessage(e as Error & { code?: string }, Object.keys(cmd.options))}`);
  }
  if (!cmd.positionals && parsed.positionals.length)
    throw new UserError(`${name}: unexpected argument '${parsed.positionals[0]}' (see wgan-inpaint ${name} --help)`);
  return cmd.run(parsed.values as Record<string, string | boolean | undefined>, parsed.positionals);
}
