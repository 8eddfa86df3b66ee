/**
 * SSIM (Wang et al. 2004), computed to match scikit-image's
 * `structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
 * data_range=1, channel_axis=-1)`:
 * - local statistics under an 11×11 Gaussian window (σ = 1.5, truncated at 3.5σ → radius 5, weights
 *   normalised to sum 1, as scipy.ndimage builds them), population (not sample) covariances;
 * - K1 = 0.01, K2 = 0.03, L = 1, so C1 = 1e-4 and C2 = 9e-4;
 * - the SSIM map is averaged over the *valid* region only: skimage filters the whole image and then crops
 *   (win_size - 1) / 2 = 5 pixels from each border, which is the same as a valid-mode convolution;
 * - per image, the mean over channels of the per-channel SSIM.
 * All arithmetic is float64.
 */
import type { ImageBatch } from '../types.js';
import { imageSize } from '../types.js';
import { UserError } from '../util/errors.js';
import { assertSameShape } from './pixel.js';

export const SSIM_K1 = 0.01;
export const SSIM_K2 = 0.03;
export const SSIM_SIGMA = 1.5;
/** ndimage's radius: int(truncate·σ + 0.5) with truncate = 3.5 → 5, so the window is 11 taps. */
export const SSIM_RADIUS = Math.floor(3.5 * SSIM_SIGMA + 0.5);
export const SSIM_WIN = 2 * SSIM_RADIUS + 1;

/** Normalised 1-D Gaussian taps, length 2r+1 (scipy.ndimage `_gaussian_kernel1d`). */
export function gaussianTaps(sigma: number, radius: number): Float64Array {
  const g = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let x = -radius; x <= radius; x++) {
    const v = Math.exp((-0.5 / (sigma * sigma)) * x * x);
    g[x + radius] = v;
    sum += v;
  }
  for (let i = 0; i < g.length; i++) g[i]! /= sum;
  return g;
}

const TAPS = gaussianTaps(SSIM_SIGMA, SSIM_RADIUS);

/**
 * Mean SSIM of two single-channel planes (H×W float64, data range 1) over the valid region
 * ((H-10)×(W-10) window centres).
 */
export function ssimPlane(x: Float64Array, y: Float64Array, h: number, w: number): number {
  const r = SSIM_RADIUS,
    win = SSIM_WIN;
  const vw = w - 2 * r,
    vh = h - 2 * r;
  // Horizontal pass: 5 maps (x, y, x², y², xy) filtered along rows, h × vw each.
  const hx = new Float64Array(h * vw),
    hy = new Float64Array(h * vw);
  const hxx = new Float64Array(h * vw),
    hyy = new Float64Array(h * vw),
    hxy = new Float64Array(h * vw);
  for (let row = 0; row < h; row++) {
    for (let c = 0; c < vw; c++) {
      let sx = 0,
        sy = 0,
        sxx = 0,
        syy = 0,
        sxy = 0;
      const base = row * w + c;
      for (let k = 0; k < win; k++) {
        const g = TAPS[k]!,
          a = x[base + k]!,
          b = y[base + k]!;
        sx += g * a;
        sy += g * b;
        sxx += g * a * a;
        syy += g * b * b;
        sxy += g * a * b;
      }
      const o = row * vw + c;
      hx[o] = sx;
      hy[o] = sy;
      hxx[o] = sxx;
      hyy[o] = syy;
      hxy[o] = sxy;
    }
  }
  const C1 = (SSIM_K1 * 1) ** 2,
    C2 = (SSIM_K2 * 1) ** 2;
  let total = 0;
  for (let row = 0; row < vh; row++) {
    for (let c = 0; c < vw; c++) {
      let ux = 0,
        uy = 0,
        uxx = 0,
        uyy = 0,
        uxy = 0;
      for (let k = 0; k < win; k++) {
        const g = TAPS[k]!,
          o = (row + k) * vw + c;
        ux += g * hx[o]!;
        uy += g * hy[o]!;
        uxx += g * hxx[o]!;
        uyy += g * hyy[o]!;
        uxy += g * hxy[o]!;
      }
      const vx = uxx - ux * ux,
        vy = uyy - uy * uy,
        vxy = uxy - ux * uy;
      total += ((2 * ux * uy + C1) * (2 * vxy + C2)) / ((ux * ux + uy * uy + C1) * (vx + vy + C2));
    }
  }
  return total / (vh * vw);
}

/**
 * SSIM per image (mean over channels), in [-1, 1]; 1 for identical images. Images must be at least
 * 11×11 (the Gaussian window), as in scikit-image.
 */
export function ssim(a: ImageBatch, b: ImageBatch): number[] {
  assertSameShape(a, b, 'ssim');
  if (a.height < SSIM_WIN || a.width < SSIM_WIN) {
    throw new UserError(`ssim needs images of at least ${SSIM_WIN}x${SSIM_WIN}, got ${a.height}x${a.width}`);
  }
  const hw = a.height * a.width,
    c = a.channels,
    s = imageSize(a);
  const pa = new Float64Array(hw),
    pb = new Float64Array(hw);
  const out: number[] = [];
  for (let i = 0; i < a.n; i++) {
    let sum = 0;
    for (let k = 0; k < c; k++) {
      for (let p = 0; p < hw; p++) {
        pa[p] = a.data[i * s + p * c + k]!;
        pb[p] = b.data[i * s + p * c + k]!;
      }
      sum += ssimPlane(pa, pb, a.height, a.width);
    }
    out.push(sum / c);
  }
  return out;
}
