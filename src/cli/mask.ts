/**
 * `wgan-inpaint mask`: write a generated mask as a PNG (white = hole, black = known, the convention of
 * OpenCV, LaMa, IOPaint and diffusers; or --mask-convention known-white), e.g. to inspect a kind or to
 * feed the same mask to `inpaint --mask` (with the same --mask-convention).
 */
import type { Command, Values } from './command.js';
import { str, numOpt } from './command.js';
import { MASK_KINDS, describeMaskKind, holeFraction, invertMask, makeMask } from '../masks/masks.js';
import type { MaskOptions } from '../masks/masks.js';
import { maskToImage, writePng } from '../io/image.js';
import { UserError } from '../util/errors.js';
import { maskConventionOpt } from './mask_convention.js';
import { DEFAULT_MASK_CONVENTION, MASK_CONVENTION_HELP, MASK_CONVENTIONS } from '../masks/convention.js';

const MAX_SIZE = 4096;

function help(): string {
  const w = Math.max(...MASK_KINDS.map((k) => k.length));
  return [
    'usage: wgan-inpaint mask --kind KIND --size N [--height H --width W] [--seed N] [--invert]',
    '                         [--ratio X] [--p X] [--k N] [--mask-convention C] --out mask.png',
    '',
    'Write a mask as a PNG: white = hole, black = known (as OpenCV, LaMa, IOPaint and diffusers, and',
    'as `inpaint --mask` reads it by default). Prints the hole fraction.',
    '',
    'options:',
    '  --kind KIND    mask kind (required), one of:',
    ...MASK_KINDS.map((k) => `                   ${k.padEnd(w)}  ${describeMaskKind(k)}`),
    `  --size N       height and width in pixels, 1…${MAX_SIZE} [default: 64]`,
    '  --height H     height, overrides --size',
    '  --width W      width, overrides --size',
    '  --seed N       seed of the random kinds (integer ≥ 0) [default: 0]',
    '  --invert       swap known and hole',
    '  --ratio X      hole fraction in (0, 1) for center, pattern, rects, strokes [default: 0.25]; random: same as --p',
    '  --p X          random: probability that a pixel is missing [default: 0.8]',
    '  --k N          grid: keep every N-th pixel in both directions [default: 4]',
    '  --mask-convention C',
    `                 ${MASK_CONVENTIONS.map((c) => `${c}: ${MASK_CONVENTION_HELP[c]}`).join(';\n                 ')} [default: ${DEFAULT_MASK_CONVENTION}]`,
    '  --out FILE     output PNG (required)',
    '',
    'example: wgan-inpaint mask --kind strokes --size 64 --seed 3 --out strokes.png',
  ].join('\n');
}

/** Parse a positive integer size option (≤ MAX_SIZE), or return the default. */
function sizeOpt(v: Values, key: string, def: number): number {
  const s = str(v, key);
  if (s === undefined) return def;
  const n = Number(s);
  if (!/^\s*\d+\s*$/.test(s) || !Number.isInteger(n) || n < 1 || n > MAX_SIZE) {
    throw new UserError(`mask: --${key} must be a positive integer ≤ ${MAX_SIZE}, got '${s}'`);
  }
  return n;
}

export const maskCommand: Command = {
  name: 'mask',
  summary: 'write a generated mask (center, random, halves, pattern, grid, rects, strokes) as a PNG',
  help: help(),
  options: {
    kind: { type: 'string' },
    size: { type: 'string' },
    height: { type: 'string' },
    width: { type: 'string' },
    seed: { type: 'string' },
    invert: { type: 'boolean' },
    ratio: { type: 'string' },
    p: { type: 'string' },
    k: { type: 'string' },
    'mask-convention': { type: 'string' },
    out: { type: 'string' },
  },
  async run(v: Values): Promise<number> {
    const kind = str(v, 'kind');
    if (kind === undefined) throw new UserError(`mask: --kind is required (valid: ${MASK_KINDS.join(', ')})`);
    const convention = maskConventionOpt(v);
    const out = str(v, 'out');
    if (out === undefined || out === '') throw new UserError('mask: --out FILE is required');
    const size = sizeOpt(v, 'size', 64);
    const height = sizeOpt(v, 'height', size);
    const width = sizeOpt(v, 'width', size);
    const seed = numOpt(v, 'seed', { int: true });
    if (seed !== undefined && seed < 0) throw new UserError(`mask: --seed must be an integer ≥ 0, got '${seed}'`);
    const opts: MaskOptions = {};
    if (seed !== undefined) opts.seed = seed;
    const ratio = numOpt(v, 'ratio', {});
    if (ratio !== undefined) opts.ratio = ratio;
    const p = numOpt(v, 'p', {});
    if (p !== undefined) opts.p = p;
    const k = numOpt(v, 'k', { int: true });
    if (k !== undefined) opts.k = k;
    // makeMask validates the kind (listing the valid ones) and the option ranges.
    let mask = makeMask(kind, height, width, opts);
    if (v.invert === true) mask = invertMask(mask);
    await writePng(out, maskToImage(mask, convention));
    console.log(
      `${kind} mask ${height}x${width}: hole fraction ${holeFraction(mask).toFixed(4)} (${convention === 'hole-white' ? 'white' : 'black'} = hole) → ${out}`,
    );
    return 0;
  },
};
