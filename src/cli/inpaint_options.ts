/**
 * The search options `inpaint` and `batch` share (iters, restarts, λ, …): their flags, help lines and
 * parsing, read off the one options schema (src/inpaint/options.ts), so the commands cannot drift.
 */
import { str, parseDecimal, type OptionSpec, type Values } from './command.js';
import {
  INIT_DEFAULTS,
  INPAINT_OPTION_FIELDS,
  REFINE_DEFAULTS,
  resolveInpaintOptions,
  type InpaintOptions,
  type OptionField,
} from '../inpaint/options.js';
import { UserError } from '../util/errors.js';
import { wrapHelp } from './schema_flags.js';

/** One help line per search option: `--flag ARG  description (range) [default: …]`. */
function optionHelp(f: OptionField): string {
  const arg = f.type === 'enum' ? f.choices!.join('|') : f.type === 'int' ? 'N' : 'X';
  const range = f.type === 'enum' ? '' : ` (${f.key === 'lr' ? '> 0' : `${f.min}`}–${f.max})`;
  const def =
    f.key === 'progressEvery'
      ? 'off'
      : f.key === 'iters' || f.key === 'restarts'
        ? `${INIT_DEFAULTS.random[f.key]} from random z, ${INIT_DEFAULTS.encoder[f.key]} from the encoder's`
        : f.key === 'refineLr' || f.key === 'refineDeviation'
          ? (['features', 'generator', 'modulation'] as const)
              .map((m) => `${m} ${REFINE_DEFAULTS[m][f.key === 'refineLr' ? 'lr' : 'deviation']}`)
              .join(', ')
          : f.default === undefined
            ? "the model's"
            : String(f.default);
  return wrapHelp(`  --${f.flag} ${arg}`, `${f.description}${range} [default: ${def}]`).join('\n');
}

export const INPAINT_OPTION_FLAGS: OptionSpec = Object.fromEntries(
  INPAINT_OPTION_FIELDS.map((f) => [f.flag, { type: 'string' as const }]),
);

export const INPAINT_OPTION_HELP = INPAINT_OPTION_FIELDS.map(optionHelp).join('\n');

/**
 * The search options given on the command line, validated (decimals only; types and ranges from the
 * schema) but without defaults, so a model with an encoder can still apply its own iterations and
 * restarts (resolveInpaintOptions(…, hasEncoder); inpaintFiles does).
 */
export function inpaintOptionsGiven(v: Values, command = 'inpaint'): Partial<InpaintOptions> {
  const given: Record<string, unknown> = {};
  for (const f of INPAINT_OPTION_FIELDS) {
    const s = str(v, f.flag);
    if (s === undefined) continue;
    if (f.type === 'enum') given[f.key] = s;
    else {
      const n = parseDecimal(s);
      if (Number.isNaN(n)) throw new UserError(`${command}: --${f.flag} must be a decimal number, got '${s}'`);
      given[f.key] = n;
    }
  }
  resolveInpaintOptions(given as Partial<InpaintOptions>, flagLabel);
  return given as Partial<InpaintOptions>;
}

const flagLabel = (k: string) => `--${INPAINT_OPTION_FIELDS.find((f) => f.key === k)?.flag ?? k}`;

/**
 * The resolved search options from the command line: decimals only; types, ranges and defaults from
 * the schema. `hasEncoder`: the model has an encoder (iterations and restarts then default per start).
 */
export function inpaintOptionsFrom(v: Values, command = 'inpaint', hasEncoder = false): InpaintOptions {
  return resolveInpaintOptions(inpaintOptionsGiven(v, command), flagLabel, hasEncoder);
}
