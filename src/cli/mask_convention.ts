/** `--mask-convention`, shared by `inpaint`, `batch` and `mask`: its help lines and parsing. */
import { str, type Values } from './command.js';
import {
  DEFAULT_MASK_CONVENTION,
  MASK_CONVENTION_HELP,
  MASK_CONVENTIONS,
  parseMaskConvention,
  type MaskConvention,
} from '../masks/convention.js';

/** Help lines of `--mask-convention` (`what`: what it applies to, e.g. "mask files and mask.png"). */
export function maskConventionHelp(what: string): string {
  return [
    `  --mask-convention C    how ${what} mark the hole [default: ${DEFAULT_MASK_CONVENTION}]:`,
    ...MASK_CONVENTIONS.map((c) => `                           ${c.padEnd(12)} ${MASK_CONVENTION_HELP[c]}`),
    '                         transparent pixels are known in both',
  ].join('\n');
}

/** The `--mask-convention` given, validated (one UserError line), or the default. */
export function maskConventionOpt(v: Values): MaskConvention {
  const s = str(v, 'mask-convention');
  return s === undefined ? DEFAULT_MASK_CONVENTION : parseMaskConvention(s);
}
