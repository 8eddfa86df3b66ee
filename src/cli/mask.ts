/**
 * `wgan-inpaint mask`: write a generated mask as a PNG (white = hole, black = known, the convention of
 * OpenCV, LaMa, IOPaint and diffusers; or --mask-convention known-white), e.g. to inspect a kind or to
 * feed the same mask to `inpaint --mask` (with the same --mask-convention).
 */
import { z } from 'zod';
import type { Command, Values } from './command.js';
import { commandFlags } from './schema_flags.js';
import { MASK_KINDS, describeMaskKind, holeFraction, invertMask, makeMask } from '../masks/masks.js';
import type { MaskOptions } from '../masks/masks.js';
import { maskToImage, writePng } from '../io/image.js';
import { UserError } from '../util/errors.js';
import { maskConventionOpt } from './mask_convention.js';
import { DEFAULT_MASK_CONVENTION, MASK_CONVENTION_HELP, MASK_CONVENTIONS } from '../masks/convention.js';

const MAX_SIZE = 4096;

const side = () => z.number().int().min(1).max(MAX_SIZE);
/** The flags but --mask-convention (shared with inpaint and batch, mask_convention.ts). */
const MaskFlagsSchema = z.object({
  kind: z.string().describe('mask kind (required), one of the kinds below'),
  size: side().default(64).describe(`height and width in pixels, 1…${MAX_SIZE}`),
  height: side().optional().describe('height, overrides --size'),
  width: side().optional().describe('width, overrides --size'),
  seed: z.number().int().min(0).optional().describe('seed of the random kinds [default: 0]'),
  invert: z.boolean().optional().describe('swap known and hole'),
  ratio: z
    .number()
    .optional()
    .describe('hole fraction in (0, 1) [default: 0.25] for center, pattern, rects, strokes; random: same as --p'),
  p: z.number().optional().describe('random: probability that a pixel is missing [default: 0.8]'),
  k: z.number().int().optional().describe('grid: keep every N-th pixel in both directions [default: 4]'),
  out: z.string().describe('output PNG (required)'),
});
const FLAGS = commandFlags('mask', MaskFlagsSchema);

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
    FLAGS.help({ keys: ['kind'], values: { kind: 'KIND' } }),
    ...MASK_KINDS.map((k) => `                           ${k.padEnd(w)}  ${describeMaskKind(k)}`),
    FLAGS.help({
      keys: ['size', 'height', 'width', 'seed', 'invert', 'ratio', 'p', 'k'],
      values: { height: 'H', width: 'W' },
    }),
    '  --mask-convention C',
    `                         ${MASK_CONVENTIONS.map((c) => `${c}: ${MASK_CONVENTION_HELP[c]}`).join(';\n                         ')} [default: ${DEFAULT_MASK_CONVENTION}]`,
    FLAGS.help({ keys: ['out'], values: { out: 'FILE' } }),
    '',
    'example: wgan-inpaint mask --kind strokes --size 64 --seed 3 --out strokes.png',
  ].join('\n');
}

export const maskCommand: Command = {
  name: 'mask',
  summary: 'write a generated mask (center, random, halves, pattern, grid, rects, strokes) as a PNG',
  help: help(),
  options: { ...FLAGS.options, 'mask-convention': { type: 'string' } },
  async run(v: Values): Promise<number> {
    if (v.kind === undefined) throw new UserError(`mask: --kind is required (valid: ${MASK_KINDS.join(', ')})`);
    const { kind, out, size, height = size, width = size, seed, invert, ratio, p, k } = FLAGS.parse(v);
    if (out === '') throw new UserError('mask: --out FILE is required');
    const convention = maskConventionOpt(v);
    const opts: MaskOptions = {};
    if (seed !== undefined) opts.seed = seed;
    if (ratio !== undefined) opts.ratio = ratio;
    if (p !== undefined) opts.p = p;
    if (k !== undefined) opts.k = k;
    // makeMask validates the kind (listing the valid ones) and the option ranges.
    let mask = makeMask(kind, height, width, opts);
    if (invert === true) mask = invertMask(mask);
    await writePng(out, maskToImage(mask, convention));
    console.log(
      `${kind} mask ${height}x${width}: hole fraction ${holeFraction(mask).toFixed(4)} (${convention === 'hole-white' ? 'white' : 'black'} = hole) → ${out}`,
    );
    return 0;
  },
};
