/**
 * The shape of one CLI command. Each command lives in its own file under src/cli/ and is listed in
 * src/cli/main.ts. Options are parsed by node:util `parseArgs` in strict mode, so unknown flags are
 * rejected with one clear line.
 */
import type { ParseArgsConfig } from 'node:util';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | undefined>;

export interface Command {
  name: string;
  /** One line for the top-level help. */
  summary: string;
  /** Full `--help` text (usage line, options with defaults, an example). */
  help: string;
  options: OptionSpec;
  /** Returns the process exit code (0 on success). Throw UserError for bad input. */
  run(values: Values, positionals: string[]): Promise<number>;
}

/** Read a string option, or the default. */
export function str(v: Values, key: string, def?: string): string | undefined {
  const x = v[key];
  return typeof x === 'string' ? x : def;
}
