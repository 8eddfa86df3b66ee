/**
 * Poisson blending (guided interpolation, Pérez, Gangnet & Blake, SIGGRAPH 2003), the last step of
 * Yeh et al.'s inpainting: paste the generated image's *gradients* into the hole, so the fill takes its
 * texture from G(ẑ) but its absolute colour from the known pixels around the hole (no visible seam).
 *
 * Per channel, for every hole pixel p (mask 0), with N_p its in-image 4-neighbours (image-border pixels
 * simply have fewer neighbours, i.e. a zero-flux Neumann condition at the image border):
 *
 *   |N_p| f_p − Σ_{q ∈ N_p ∩ hole} f_q  =  Σ_{q ∈ N_p ∩ known} target_q + Σ_{q ∈ N_p} (source_p − source_q)
 *
 * i.e. Δf = Δsource inside the hole, with f = target on the known pixels as Dirichlet boundary. The
 * matrix is symmetric positive (semi-)definite, so conjugate gradients on the hole pixels only solves
 * it; a hole component that touches no known pixel (e.g. an all-hole mask) is determined only up to a
 * constant and keeps the source's level. Platform-neutral, no TF.js.
 */
import { masksFor } from './composite.js';
import type { ImageBatch, Mask } from '../types.js';
import { imageAt, stackImages } from '../types.js';
import { UserError } from '../util/errors.js';

export interface PoissonOptions {
  /** Stop when ‖residual‖₂ ≤ tol · max(‖b‖₂, ‖r₀‖₂). Default 1e-6. */
  tol?: number;
  /** Maximum conjugate-gradient iterations per channel. Default 2000. */
  maxIter?: number;
  /**
   * Where the system is set up: `hole-box` (default) the hole's bounding box + 1 px, `image` the whole
   * image (the same result bit for bit, at a cost that grows with the image; kept for tests and the
   * benchmark).
   */
  region?: 'hole-box' | 'image';
}

/** The hole pixels and, for each, its ≤ 4 in-image neighbours (as pixel index and hole index). */
interface HoleSystem {
  /** Pixel index (y·W + x) of each unknown, length n. */
  pixels: Int32Array;
  /** 4 per unknown: neighbour pixel index, or −1 when outside the image. */
  nbrPixel: Int32Array;
  /** 4 per unknown: neighbour's unknown index, or −1 when it is known or outside. */
  nbrHole: Int32Array;
  /** Number of in-image neighbours |N_p| of each unknown (2…4). */
  degree: Float64Array;
}

function buildSystem(mask: Mask): HoleSystem {
  const { height: h, width: w } = mask;
  const holeIndex = new Int32Array(h * w).fill(-1);
  let n = 0;
  for (let i = 0; i < h * w; i++) if (mask.data[i]! < 0.5) holeIndex[i] = n++;
  const pixels = new Int32Array(n);
  const nbrPixel = new Int32Array(4 * n).fill(-1);
  const nbrHole = new Int32Array(4 * n).fill(-1);
  const degree = new Float64Array(n);
  for (let i = 0; i < h * w; i++) {
    const k = holeIndex[i]!;
    if (k < 0) continue;
    pixels[k] = i;
    const y = Math.floor(i / w),
      x = i - y * w;
    const nb = [y > 0 ? i - w : -1, y < h - 1 ? i + w : -1, x > 0 ? i - 1 : -1, x < w - 1 ? i + 1 : -1];
    for (let j = 0; j < 4; j++) {
      const q = nb[j]!;
      if (q < 0) continue;
      nbrPixel[4 * k + j] = q;
      nbrHole[4 * k + j] = holeIndex[q]!;
      degree[k]! += 1;
    }
  }
  return { pixels, nbrPixel, nbrHole, degree };
}

/** y = A x for the hole system (A = |N_p| on the diagonal, −1 for each hole neighbour). */
function applyA(s: HoleSystem, x: Float64Array, y: Float64Array): void {
  const { nbrHole, degree } = s;
  for (let k = 0; k < x.length; k++) {
    let v = degree[k]! * x[k]!;
    for (let j = 4 * k; j < 4 * k + 4; j++) {
      const q = nbrHole[j]!;
      if (q >= 0) v -= x[q]!;
    }
    y[k] = v;
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Conjugate gradients for A x = b, starting from x (updated in place). */
function conjugateGradient(s: HoleSystem, b: Float64Array, x: Float64Array, tol: number, maxIter: number): void {
  const n = b.length;
  const r = new Float64Array(n),
    p = new Float64Array(n),
    ap = new Float64Array(n);
  applyA(s, x, ap);
  for (let i = 0; i < n; i++) r[i] = b[i]! - ap[i]!;
  p.set(r);
  let rr = dot(r, r);
  const stop = (tol * Math.max(Math.sqrt(dot(b, b)), Math.sqrt(rr), 1e-30)) ** 2;
  for (let it = 0; it < maxIter && rr > stop; it++) {
    applyA(s, p, ap);
    const pap = dot(p, ap);
    if (!(pap > 0)) break; // only in the null space of a Neumann-only component: nothing left to fix
    const alpha = rr / pap;
    for (let i = 0; i < n; i++) {
      x[i]! += alpha * p[i]!;
      r[i]! -= alpha * ap[i]!;
    }
    const rrNew = dot(r, r);
    const beta = rrNew / rr;
    rr = rrNew;
    for (let i = 0; i < n; i++) p[i] = r[i]! + beta * p[i]!;
  }
}

function checkShapes(target: ImageBatch, source: ImageBatch, mask: Mask): void {
  if (
    target.height !== source.height ||
    target.width !== source.width ||
    target.channels !== source.channels ||
    target.n !== source.n
  ) {
    throw new UserError(
      `poisson blend: source ${source.n}x${source.height}x${source.width}x${source.channels} does not match target ${target.n}x${target.height}x${target.width}x${target.channels}`,
    );
  }
  if (mask.height !== target.height || mask.width !== target.width) {
    throw new UserError(
      `poisson blend: mask ${mask.height}x${mask.width} does not match image ${target.height}x${target.width}`,
    );
  }
}

/**
 * The hole's bounding box grown by one pixel (the 4-neighbour stencil's reach), clamped to the image:
 * every hole pixel's in-image neighbours lie inside it, and its edge pixels are either known or on
 * the image border, so the system on the box is the full image's system. Null when there is no hole.
 */
export function holeBox(mask: Mask): { top: number; left: number; height: number; width: number } | null {
  const { height: h, width: w } = mask;
  let y0 = h,
    y1 = -1,
    x0 = w,
    x1 = -1;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      if (mask.data[row + x]! < 0.5) {
        if (y < y0) y0 = y;
        y1 = y;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
      }
    }
  }
  if (y1 < 0) return null;
  const top = Math.max(0, y0 - 1),
    left = Math.max(0, x0 - 1);
  return { top, left, height: Math.min(h - 1, y1 + 1) - top + 1, width: Math.min(w - 1, x1 + 1) - left + 1 };
}

/** Copy a box of a 1-image batch (or a mask, channels 1). */
function cropData(
  data: Float32Array,
  w: number,
  c: number,
  b: { top: number; left: number; height: number; width: number },
): Float32Array {
  const out = new Float32Array(b.height * b.width * c);
  for (let y = 0; y < b.height; y++)
    out.set(data.subarray(((b.top + y) * w + b.left) * c, ((b.top + y) * w + b.left + b.width) * c), y * b.width * c);
  return out;
}

/**
 * Blend `source` (e.g. G(ẑ), 1 image, [0, 1]) into the hole (mask 0) of `target` (1 image, same
 * shape). Known pixels are returned unchanged; the output is a new 1-image batch clamped to [0, 1].
 *
 * The system is solved on the hole's bounding box (holeBox), so the cost grows with the hole's
 * neighbourhood, not with the image: a 200×200 hole in a 5000×5000 photo solves 40 000 unknowns on a
 * 202×202 box. The result is bit-identical to solving on the whole image: the unknowns, their
 * neighbours and the order of every sum are the same. The solve itself still grows with the hole:
 * unknowns × CG iterations, and the iterations grow with the hole's diameter (up to maxIter per
 * channel), so a very large hole (e.g. a 1000×1000 centre hole) takes minutes; the decoders' pixel
 * limit (DEFAULT_MAX_PIXELS) bounds it.
 */
export function poissonBlend(
  target: ImageBatch,
  source: ImageBatch,
  mask: Mask,
  opts: PoissonOptions = {},
): ImageBatch {
  if (target.n !== 1)
    throw new UserError(`poisson blend: expected 1 target image, got ${target.n} (use poissonBlendBatch)`);
  checkShapes(target, source, mask);
  const C = target.channels,
    W = target.width;
  const out = Float32Array.from(target.data);
  const found = holeBox(mask);
  if (!found) return { data: out, n: 1, height: target.height, width: W, channels: C };
  const box = opts.region === 'image' ? { top: 0, left: 0, height: target.height, width: W } : found;
  const whole = box.height === target.height && box.width === W;
  const t = whole ? target.data : cropData(target.data, W, C, box);
  const src = whole ? source.data : cropData(source.data, W, C, box);
  const m: Mask = whole ? mask : { data: cropData(mask.data, W, 1, box), height: box.height, width: box.width };
  const x = solveHole(t, src, m, C, opts.tol ?? 1e-6, opts.maxIter ?? 2000);
  const { pixels } = x;
  for (let k = 0; k < pixels.length; k++) {
    const p = pixels[k]!,
      py = Math.floor(p / m.width),
      px = p - py * m.width;
    const q = (box.top + py) * W + box.left + px;
    for (let c = 0; c < C; c++) out[q * C + c] = x.values[k * C + c]!;
  }
  return { data: out, n: 1, height: target.height, width: W, channels: C };
}

/** Solve every channel on the hole of `mask` (same size as t and src); values clamped to [0, 1], [n·C]. */
function solveHole(
  t: Float32Array,
  src: Float32Array,
  mask: Mask,
  C: number,
  tol: number,
  maxIter: number,
): { pixels: Int32Array; values: Float32Array } {
  const sys = buildSystem(mask);
  const n = sys.pixels.length;
  const values = new Float32Array(n * C);
  const b = new Float64Array(n),
    x = new Float64Array(n);
  for (let c = 0; c < C; c++) {
    // Warm start: the source shifted by its mean mismatch along the hole boundary, which already
    // has the right gradients and roughly the right level (CG then only fixes a smooth correction).
    let offset = 0,
      pairs = 0;
    for (let k = 0; k < n; k++) {
      const p = sys.pixels[k]!;
      const sp = src[p * C + c]!;
      let v = 0;
      for (let j = 4 * k; j < 4 * k + 4; j++) {
        const q = sys.nbrPixel[j]!;
        if (q < 0) continue;
        v += sp - src[q * C + c]!;
        if (sys.nbrHole[j]! < 0) {
          v += t[q * C + c]!;
          offset += t[q * C + c]! - src[q * C + c]!;
          pairs++;
        }
      }
      b[k] = v;
    }
    offset = pairs > 0 ? offset / pairs : 0;
    for (let k = 0; k < n; k++) x[k] = src[sys.pixels[k]! * C + c]! + offset;
    conjugateGradient(sys, b, x, tol, maxIter);
    for (let k = 0; k < n; k++) values[k * C + c] = Math.min(1, Math.max(0, x[k]!));
  }
  return { pixels: sys.pixels, values };
}

/**
 * Blend every image of a batch: `masks` is one mask shared by all images or one per image.
 */
export function poissonBlendBatch(
  targets: ImageBatch,
  sources: ImageBatch,
  masks: Mask | Mask[],
  opts: PoissonOptions = {},
): ImageBatch {
  const list = masksFor(targets, masks);
  if (targets.n !== sources.n) throw new UserError(`poisson blend: ${sources.n} sources for ${targets.n} targets`);
  if (targets.n === 0) return { ...targets, data: new Float32Array(0) };
  return stackImages(list.map((m, i) => poissonBlend(imageAt(targets, i), imageAt(sources, i), m, opts)));
}
