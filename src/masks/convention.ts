/**
 * How a mask *file* (PNG, canvas pixels) maps to the in-memory `Mask` (1 = known, 0 = hole, as in the
 * paper) and back. Platform-neutral: the CLI, the server, the queue and the page share it.
 *
 * `hole-white` (the default) is the convention of OpenCV's `cv2.inpaint` (non-zero = inpaint), LaMa
 * and IOPaint (white = hole) and diffusers' inpainting pipelines (white = repaint): a mask made for
 * any of them works here unchanged. `known-white` is the other way round (white = keep), this
 * project's reading before issue #31.
 *
 * Reading a pixel, in either convention:
 * - transparent (alpha < 50 %) = known: a mask painted on a transparent layer marks only what was
 *   painted (before, the unpainted layer turned the whole image into a hole);
 * - otherwise "white" = brightest channel ≥ 50 %; a mask whose opaque pixels are all 0 or 1 (a 0/1
 *   array saved as 8 bits, as `cv2.imwrite(mask.astype(np.uint8))` leaves it) reads 1 as white, as
 *   OpenCV's non-zero rule does;
 * - hole-white: white = hole, dark = known; known-white: white = known, dark = hole.
 */
import type { Mask } from '../types.js';
import { UserError } from '../util/errors.js';

export const MASK_CONVENTIONS = ['hole-white', 'known-white'] as const;
export type MaskConvention = (typeof MASK_CONVENTIONS)[number];
export const DEFAULT_MASK_CONVENTION: MaskConvention = 'hole-white';

/** One line per convention, for help texts. */
export const MASK_CONVENTION_HELP: Readonly<Record<MaskConvention, string>> = {
  'hole-white': 'white = hole, black = known (OpenCV, LaMa, IOPaint, diffusers)',
  'known-white': 'white = known, black = hole',
};

/**
 * A mask file making more than this fraction of the image a hole gets a warning: a mask of the other
 * convention (a LaMa-style mask read as known-white replaced 96 % of a photo) usually lands here,
 * while deliberate holes rarely exceed it (the mask kinds' defaults are 25–50 %; `random` 80 % and
 * `grid` 94 % are generated, never read from a file).
 */
export const HOLE_WARNING_FRACTION = 0.6;

/** Validate a convention given by a user; `what` names where it came from (`--mask-convention`). */
export function parseMaskConvention(s: unknown, what = '--mask-convention'): MaskConvention {
  if (typeof s === 'string' && (MASK_CONVENTIONS as readonly string[]).includes(s)) return s as MaskConvention;
  throw new UserError(`${what} must be ${MASK_CONVENTIONS.join(' or ')}, got '${String(s)}'`);
}

/**
 * Decode interleaved 8-bit pixels (`channels` per pixel, the last one alpha when `alpha`) into a Mask
 * under `convention` (the rules above).
 */
export function maskFromPixels(
  px: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
  alpha: boolean,
  convention: MaskConvention = DEFAULT_MASK_CONVENTION,
): Mask {
  const n = width * height;
  const colours = alpha ? channels - 1 : channels;
  const bright = new Uint8Array(n);
  const opaque = new Uint8Array(n);
  let max = 0;
  for (let i = 0; i < n; i++) {
    opaque[i] = !alpha || px[i * channels + channels - 1]! >= 128 ? 1 : 0;
    let v = 0;
    for (let k = 0; k < colours; k++) v = Math.max(v, px[i * channels + k]!);
    bright[i] = v;
    if (opaque[i] && v > max) max = v;
  }
  // A 0/1 mask (no opaque value above 1): 1 is its white.
  const threshold = max <= 1 ? 1 : 128;
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const white = opaque[i] === 1 && bright[i]! >= threshold;
    const dark = opaque[i] === 1 && !white;
    data[i] = convention === 'hole-white' ? (white ? 0 : 1) : dark ? 0 : 1;
  }
  return { data, height, width };
}

/** A Mask as grey values in [0, 1] for writing or showing, in `convention` (hole-white: hole = 1). */
export function maskToGrey(m: Mask, convention: MaskConvention = DEFAULT_MASK_CONVENTION): Float32Array {
  const out = new Float32Array(m.data.length);
  for (let i = 0; i < out.length; i++) {
    const known = m.data[i]! >= 0.5;
    out[i] = (convention === 'hole-white') !== known ? 1 : 0;
  }
  return out;
}

/**
 * The warning for a mask file that makes more than HOLE_WARNING_FRACTION of its image a hole, or null.
 * `name` names the mask; `other` says how to choose the other convention (a flag, an API field).
 */
export function holeWarning(
  m: Mask,
  convention: MaskConvention,
  name: string,
  other: (c: MaskConvention) => string,
): string | null {
  let holes = 0;
  for (let i = 0; i < m.data.length; i++) if (m.data[i]! < 0.5) holes++;
  const f = m.data.length ? holes / m.data.length : 0;
  if (f <= HOLE_WARNING_FRACTION) return null;
  const flip: MaskConvention = convention === 'hole-white' ? 'known-white' : 'hole-white';
  const read = convention === 'hole-white' ? 'white = hole' : 'white = known';
  return `${name} makes ${(f * 100).toFixed(1)} % of the image a hole, read as ${convention} (${read}); if ${convention === 'hole-white' ? 'white marks the pixels to keep' : 'white marks the hole'}, give ${other(flip)}`;
}

/** How the CLI names a convention choice in messages. */
export const conventionFlag = (c: MaskConvention): string => `--mask-convention ${c}`;
