/**
 * Mask generators, a registry keyed by `kind`. Platform-neutral (no Node or DOM imports).
 *
 * A mask is H×W with **1 = known pixel, 0 = unknown (hole)**. Every generator is deterministic for a
 * seed (`Rng` from src/util/rng.ts; default seed 0), so evaluation masks are reproducible.
 *
 * Kinds and their hole (unknown) fraction by default:
 * | kind      | hole                                                                  | default hole fraction |
 * |-----------|-----------------------------------------------------------------------|-----------------------|
 * | `center`  | centred square, side √(ratio·H·W) (clipped to the image)              | ratio = 0.25          |
 * | `random`  | each pixel independently with probability p                           | p = 0.8               |
 * | `left`    | the LEFT half is missing (columns x < ⌊W/2⌋)                          | 0.5                   |
 * | `right`   | the RIGHT half is missing (columns x ≥ W − ⌊W/2⌋)                     | 0.5                   |
 * | `top`     | the TOP half is missing (rows y < ⌊H/2⌋)                              | 0.5                   |
 * | `bottom`  | the BOTTOM half is missing (rows y ≥ H − ⌊H/2⌋)                       | 0.5                   |
 * | `half`    | one of left/right/top/bottom, chosen by the seed                      | 0.5                   |
 * | `pattern` | blob-like holes: smoothed noise thresholded at its `ratio` quantile   | ratio = 0.25          |
 * | `grid`    | all but every k-th pixel in both directions (Yeh et al.'s "grid")     | 1 − 1/k², k = 4       |
 * | `rects`   | random rectangles (sides 10–40 % of the image) until ≈ ratio is hole  | ratio = 0.25          |
 * | `strokes` | free-form brush strokes (random walks of thick segments, DeepFill v2 / LaMa style) until ≈ ratio | ratio = 0.25 |
 */
import type { Mask } from '../types.js';
import { Rng } from '../util/rng.js';
import { UserError } from '../util/errors.js';
import { defineRegistry, type KindOf } from '../util/registry.js';

export interface MaskOptions {
  /** Seed of the generator (integer). Default 0. */
  seed?: number;
  /** Target hole fraction in (0, 1) for `center`, `pattern`, `rects`, `strokes` (default 0.25); for `random` a synonym of `p`. */
  ratio?: number;
  /** `random`: probability in [0, 1] that a pixel is unknown. Default 0.8. */
  p?: number;
  /** `grid`: keep every k-th pixel in both directions (integer ≥ 1). Default 4. */
  k?: number;
}

interface MaskKind {
  /** One line for help texts. */
  describe: string;
  /** Returns H×W data, 1 = known, 0 = hole. */
  make(h: number, w: number, o: MaskOptions, rng: Rng): Float32Array;
}

const DEFAULT_RATIO = 0.25;

function ratioOf(o: MaskOptions): number {
  return o.ratio ?? DEFAULT_RATIO;
}

/** A mask with the rows/columns selected by `hole(y, x)` set to 0. */
function fromPredicate(h: number, w: number, hole: (y: number, x: number) => boolean): Float32Array {
  const m = new Float32Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) m[y * w + x] = hole(y, x) ? 0 : 1;
  return m;
}

const leftHalf = (h: number, w: number): Float32Array => fromPredicate(h, w, (_y, x) => x < Math.floor(w / 2));
const rightHalf = (h: number, w: number): Float32Array => fromPredicate(h, w, (_y, x) => x >= w - Math.floor(w / 2));
const topHalf = (h: number, w: number): Float32Array => fromPredicate(h, w, (y) => y < Math.floor(h / 2));
const bottomHalf = (h: number, w: number): Float32Array => fromPredicate(h, w, (y) => y >= h - Math.floor(h / 2));

function centerMask(h: number, w: number, o: MaskOptions): Float32Array {
  // A square keeps the hole shape independent of the aspect ratio; its side is chosen so the area
  // fraction is `ratio` whenever that square fits (it is clipped to the image otherwise).
  const side = Math.max(1, Math.round(Math.sqrt(ratioOf(o) * h * w)));
  const sh = Math.min(h, side),
    sw = Math.min(w, side);
  const y0 = Math.floor((h - sh) / 2),
    x0 = Math.floor((w - sw) / 2);
  return fromPredicate(h, w, (y, x) => y >= y0 && y < y0 + sh && x >= x0 && x < x0 + sw);
}

function randomMask(h: number, w: number, o: MaskOptions, rng: Rng): Float32Array {
  const p = o.p ?? o.ratio ?? 0.8;
  const m = new Float32Array(h * w);
  for (let i = 0; i < m.length; i++) m[i] = rng.next() < p ? 0 : 1;
  return m;
}

/**
 * Smoothed value noise: two octaves of uniform noise on coarse lattices (cells of ≈ 1/4 and 1/8 of
 * the image), bilinearly interpolated, so that thresholding gives connected blob-like holes.
 */
function smoothNoise(h: number, w: number, rng: Rng): Float32Array {
  const out = new Float32Array(h * w);
  const octaves: [cells: number, weight: number][] = [
    [4, 1],
    [8, 0.5],
  ];
  for (const [cells, weight] of octaves) {
    const gh = cells + 2,
      gw = cells + 2;
    const lattice = new Float32Array(gh * gw);
    for (let i = 0; i < lattice.length; i++) lattice[i] = rng.next();
    // A random sub-cell offset so lattice points do not always sit on the same pixels.
    const oy = rng.next(),
      ox = rng.next();
    for (let y = 0; y < h; y++) {
      const fy = ((y + 0.5) / h) * cells + oy;
      const iy = Math.floor(fy),
        ty = fy - iy;
      for (let x = 0; x < w; x++) {
        const fx = ((x + 0.5) / w) * cells + ox;
        const ix = Math.floor(fx),
          tx = fx - ix;
        const a = lattice[iy * gw + ix]!,
          b = lattice[iy * gw + ix + 1]!;
        const c = lattice[(iy + 1) * gw + ix]!,
          d = lattice[(iy + 1) * gw + ix + 1]!;
        // Smoothstep weights avoid the visible lattice creases of plain bilinear interpolation.
        const sy = ty * ty * (3 - 2 * ty),
          sx = tx * tx * (3 - 2 * tx);
        out[y * w + x]! += weight * ((a * (1 - sx) + b * sx) * (1 - sy) + (c * (1 - sx) + d * sx) * sy);
      }
    }
  }
  return out;
}

function patternMask(h: number, w: number, o: MaskOptions, rng: Rng): Float32Array {
  const noise = smoothNoise(h, w, rng);
  // Thresholding at the `ratio` quantile makes the hole fraction exact (up to ties), whatever the
  // noise's distribution.
  // (A typed-array numeric sort: fast enough for 4096² masks.)
  const count = Math.round(ratioOf(o) * h * w);
  const sorted = Float32Array.from(noise).sort();
  const threshold = count >= sorted.length ? Infinity : sorted[count]!;
  const m = new Float32Array(h * w);
  for (let i = 0; i < m.length; i++) m[i] = noise[i]! < threshold ? 0 : 1;
  return m;
}

function gridMask(h: number, w: number, o: MaskOptions): Float32Array {
  const k = o.k ?? 4;
  return fromPredicate(h, w, (y, x) => !(y % k === 0 && x % k === 0));
}

function rectsMask(h: number, w: number, o: MaskOptions, rng: Rng): Float32Array {
  const target = ratioOf(o) * h * w;
  // Accept a rectangle only if it keeps the hole within 10 % (relative) of the target, so the
  // fraction lands near `ratio` instead of overshooting by a whole rectangle.
  const limit = target * 1.1;
  const m = new Float32Array(h * w).fill(1);
  let holes = 0;
  for (let attempt = 0; attempt < 1000 && holes < target * 0.95; attempt++) {
    const rh = Math.max(1, Math.round(rng.uniform(0.1, 0.4) * h));
    const rw = Math.max(1, Math.round(rng.uniform(0.1, 0.4) * w));
    const y0 = rng.int(h - rh + 1),
      x0 = rng.int(w - rw + 1);
    let added = 0;
    for (let y = y0; y < y0 + rh; y++) for (let x = x0; x < x0 + rw; x++) added += m[y * w + x]!;
    if (holes + added > limit) continue;
    for (let y = y0; y < y0 + rh; y++) m.fill(0, y * w + x0, y * w + x0 + rw);
    holes += added;
  }
  return m;
}

function strokesMask(h: number, w: number, o: MaskOptions, rng: Rng): Float32Array {
  const target = ratioOf(o) * h * w;
  const m = new Float32Array(h * w).fill(1);
  const size = Math.min(h, w);
  let holes = 0;
  /** Paint a disc of radius r (px) at (cy, cx); returns true once the target is reached. */
  const disc = (cy: number, cx: number, r: number): boolean => {
    const r2 = r * r;
    for (let y = Math.max(0, Math.ceil(cy - r)); y <= Math.min(h - 1, Math.floor(cy + r)); y++) {
      for (let x = Math.max(0, Math.ceil(cx - r)); x <= Math.min(w - 1, Math.floor(cx + r)); x++) {
        const i = y * w + x;
        if (m[i] === 1 && (y - cy) ** 2 + (x - cx) ** 2 <= r2) {
          m[i] = 0;
          holes++;
        }
      }
    }
    return holes >= target;
  };
  // Stamp discs along each segment (spacing r/2), checking the target after each stamp: the hole
  // fraction then overshoots `ratio` by at most one disc (≈ π r² ≤ 3 % of the image).
  for (let stroke = 0; stroke < 200 && holes < target; stroke++) {
    const r = Math.max(0.5, rng.uniform(size / 32, size / 10)); // brush radius, px
    let y = rng.uniform(0, h),
      x = rng.uniform(0, w);
    let angle = rng.uniform(0, 2 * Math.PI);
    const vertices = 4 + rng.int(9);
    for (let v = 0; v < vertices; v++) {
      angle += rng.uniform(-Math.PI / 2, Math.PI / 2); // a turn of at most 90° per vertex
      const len = rng.uniform(size / 16, size / 4);
      const ny = Math.min(h - 1, Math.max(0, y + len * Math.sin(angle)));
      const nx = Math.min(w - 1, Math.max(0, x + len * Math.cos(angle)));
      const steps = Math.max(1, Math.ceil(Math.hypot(ny - y, nx - x) / Math.max(0.5, r / 2)));
      for (let s = 0; s <= steps; s++) {
        if (disc(y + ((ny - y) * s) / steps, x + ((nx - x) * s) / steps, r)) return m;
      }
      y = ny;
      x = nx;
    }
  }
  return m;
}

const KIND_TABLE = {
  center: { describe: 'centred square hole, area = ratio (default 0.25)', make: centerMask },
  random: { describe: 'each pixel missing with probability p (default 0.8)', make: randomMask },
  left: { describe: 'left half missing', make: leftHalf },
  right: { describe: 'right half missing', make: rightHalf },
  top: { describe: 'top half missing', make: topHalf },
  bottom: { describe: 'bottom half missing', make: bottomHalf },
  half: {
    describe: 'one of the four halves missing, chosen by the seed',
    make: (h, w, _o, rng) => [leftHalf, rightHalf, topHalf, bottomHalf][rng.int(4)]!(h, w),
  },
  pattern: {
    describe: 'random blob-like holes (thresholded smooth noise), ratio (default 0.25) missing',
    make: patternMask,
  },
  grid: { describe: 'keep every k-th pixel in both directions (default k = 4)', make: gridMask },
  rects: { describe: 'random rectangles, ≈ ratio (default 0.25) missing', make: rectsMask },
  strokes: {
    describe: 'free-form brush strokes (DeepFill v2 / LaMa style), ≈ ratio (default 0.25) missing',
    make: strokesMask,
  },
} satisfies Record<string, MaskKind>;

/** Mask registry keyed by `kind`. */
export const MASKS = defineRegistry(
  'mask kind',
  (Object.keys(KIND_TABLE) as (keyof typeof KIND_TABLE)[]).map((kind) => ({ kind, ...KIND_TABLE[kind] })),
);
/** The mask kinds as a literal union ('center' | 'random' | …), so lists of kinds in the code are checked. */
export type MaskKindName = KindOf<typeof MASKS>;

/** The valid mask kinds, in registry order (as strings, to check a user's kind with `includes`; MASKS.kinds is the typed list). */
export const MASK_KINDS: readonly string[] = MASKS.kinds;

/** One-line description of each kind (for help texts). */
export function describeMaskKind(kind: string): string {
  return MASKS.get(kind).describe;
}

function checkSize(h: number, w: number): void {
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
    throw new UserError(`mask size must be positive integers, got ${h}x${w}`);
  }
}

function checkOptions(o: MaskOptions): void {
  if (o.seed !== undefined && !Number.isInteger(o.seed))
    throw new UserError(`mask seed must be an integer, got ${o.seed}`);
  if (o.ratio !== undefined && !(o.ratio > 0 && o.ratio < 1))
    throw new UserError(`mask ratio must be in (0, 1), got ${o.ratio}`);
  if (o.p !== undefined && !(o.p >= 0 && o.p <= 1)) throw new UserError(`mask p must be in [0, 1], got ${o.p}`);
  if (o.k !== undefined && !(Number.isInteger(o.k) && o.k >= 1))
    throw new UserError(`mask k must be an integer >= 1, got ${o.k}`);
}

/**
 * Make a height×width mask of the given kind (1 = known, 0 = hole). Deterministic for `opts.seed`
 * (default 0). Unknown kind or bad options → UserError.
 */
export function makeMask(kind: string, height: number, width: number, opts: MaskOptions = {}): Mask {
  const k = MASKS.get(kind);
  checkSize(height, width);
  checkOptions(opts);
  const data = k.make(height, width, opts, new Rng(opts.seed ?? 0));
  return { data, height, width };
}

/** Swap known and hole (1 − m). */
export function invertMask(m: Mask): Mask {
  const data = new Float32Array(m.data.length);
  for (let i = 0; i < data.length; i++) data[i] = 1 - m.data[i]!;
  return { data, height: m.height, width: m.width };
}

/** Fraction of unknown pixels, in [0, 1]. Values ≥ 0.5 count as known. */
export function holeFraction(m: Mask): number {
  let holes = 0;
  for (let i = 0; i < m.data.length; i++) if (m.data[i]! < 0.5) holes++;
  return m.data.length === 0 ? 0 : holes / m.data.length;
}

/**
 * Shrink-safe resize to h×w for completing at a model's size: a target pixel is known only if every
 * source pixel it covers is known, so no hole can vanish when a large mask is shrunk (nearest
 * sampling would turn a fine `grid` mask into no hole at all); enlarging is nearest neighbour.
 */
export function resizeMaskKeepHoles(m: Mask, h: number, w: number): Mask {
  checkSize(h, w);
  if (h >= m.height && w >= m.width) return resizeMaskNearest(m, h, w);
  const data = new Float32Array(h * w);
  for (let y = 0; y < h; y++) {
    const y0 = Math.floor((y * m.height) / h),
      y1 = Math.max(y0 + 1, Math.ceil(((y + 1) * m.height) / h));
    for (let x = 0; x < w; x++) {
      const x0 = Math.floor((x * m.width) / w),
        x1 = Math.max(x0 + 1, Math.ceil(((x + 1) * m.width) / w));
      let known = 1;
      for (let sy = y0; sy < y1 && known; sy++)
        for (let sx = x0; sx < x1; sx++)
          if (m.data[sy * m.width + sx]! < 0.5) {
            known = 0;
            break;
          }
      data[y * w + x] = known;
    }
  }
  return { data, height: h, width: w };
}

/** Nearest-neighbour resize to h×w (sampling at pixel centres, so it stays binary). */
export function resizeMaskNearest(m: Mask, h: number, w: number): Mask {
  checkSize(h, w);
  if (h === m.height && w === m.width) return { data: Float32Array.from(m.data), height: h, width: w };
  const data = new Float32Array(h * w);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(m.height - 1, Math.floor(((y + 0.5) * m.height) / h));
    for (let x = 0; x < w; x++) {
      const sx = Math.min(m.width - 1, Math.floor(((x + 0.5) * m.width) / w));
      data[y * w + x] = m.data[sy * m.width + sx]!;
    }
  }
  return { data, height: h, width: w };
}
