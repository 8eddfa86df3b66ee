/**
 * The shape of one CLI command. Each command lives in its own file under src/cli/ and is listed in
 * src/cli/commands.ts. Options are parsed by node:util `parseArgs` in strict mode, so unknown flags are
 * rejected with one clear line.
 */
import type { ParseArgsConfig } from 'node:util';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
/** Parsed flags: a string, a switch, or the strings of a repeatable flag (`multiple`). */
export type Values = Record<string, string | boolean | string[] | undefined>;

export interface Command {
  name: string;
  /** One line for the top-level help. */
  summary: string;
  /** Full `--help` text (usage line, options with defaults, an example). */
  help: string;
  options: OptionSpec;
  /** Whether the command takes positional words (e.g. `classifier train`); others reject them. */
  positionals?: boolean;
  /** Returns the process exit code (0 on success). Throw UserError for bad input. */
  run(values: Values, positionals: string[]): Promise<number>;
}

/** Read a string option, or the default. */
export function str(v: Values, key: string, def?: string): string | undefined {
  const x = v[key];
  return typeof x === 'string' ? x : def;
}

/**
 * A number written in decimal (`12`, `-0.5`, `1e-3`, `1e9`), else NaN: `Number()` alone would also
 * read `0x10` as 16, `0b1`, `0o7`, `Infinity` and `''` as 0.
 */
export function parseDecimal(s: string): number {
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s.trim()) ? Number(s) : NaN;
}

/**
 * The command line, rebuilt from the parsed options (so it is right whether the CLI runs from the bin,
 * from tests or from another program): equal to what was typed up to the order of the options.
 */
export function commandLine(name: string, v: Values, positionals: string[] = []): string {
  const parts = ['wgan-inpaint', name, ...positionals];
  for (const [k, x] of Object.entries(v)) {
    if (x === undefined || x === false) continue;
    for (const one of Array.isArray(x) ? x : [x]) {
      parts.push(`--${k}`);
      if (typeof one === 'string') parts.push(one);
    }
  }
  return parts.map(shellQuote).join(' ');
}

function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}
