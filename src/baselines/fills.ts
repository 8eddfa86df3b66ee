/**
 * The simplest baselines: constant zero, per-image per-channel mean of the known pixels, and the value of
 * the Euclidean-nearest known pixel.
 */
import type { ImageBatch, Mask } from '../types.js';
import { fillBatch } from './common.js';

/** Fill holes with 0 (black). */
export function zeroFill(y: ImageBatch, masks: readonly Mask[]): ImageBatch {
  return fillBatch(y, masks, (img, known, h, w, c) => {
    for (let p = 0; p < h * w; p++) if (!known[p]) for (let k = 0; k < c; k++) img[p * c + k] = 0;
  });
}

/** Fill holes with the mean of the image's known pixels, per channel. */
export function meanFill(y: ImageBatch, masks: readonly Mask[]): ImageBatch {
  return fillBatch(y, masks, (img, known, h, w, c) => {
    const sum = new Float64Array(c);
    let n = 0;
    for (let p = 0; p < h * w; p++) {
      if (!known[p]) continue;
      n++;
      for (let k = 0; k < c; k++) sum[k]! += img[p * c + k]!;
    }
    for (let p = 0; p < h * w; p++) if (!known[p]) for (let k = 0; k < c; k++) img[p * c + k] = sum[k]! / n;
  });
}

/**
 * For every pixel, the index (y·w + x) of a Euclidean-nearest known pixel (itself when known), or -1
 * when the image has no known pixel. Exact: the Felzenszwalb–Huttenlocher two-pass distance transform,
 * carrying the argmin — a column pass finds the nearest known row in each column, then a row pass takes
 * the lower envelope of the parabolas (x − x')² + g(x')². O(h·w).
 */
export function nearestKnownIndex(known: Uint8Array, h: number, w: number): Int32Array {
  // Column pass: nearest known row in the same column (-1 if the column has none).
  const nearRow = new Int32Array(h * w).fill(-1);
  for (let x = 0; x < w; x++) {
    let last = -1;
    for (let y = 0; y < h; y++) {
      if (known[y * w + x]) last = y;
      nearRow[y * w + x] = last;
    }
    last = -1;
    for (let y = h - 1; y >= 0; y--) {
      if (known[y * w + x]) last = y;
      const cur = nearRow[y * w + x]!;
      if (last >= 0 && (cur < 0 || last - y < y - cur)) nearRow[y * w + x] = last;
    }
  }
  const out = new Int32Array(h * w).fill(-1);
  const f = new Float64Array(w);
  const v = new Int32Array(w); // columns whose parabolas form the lower envelope
  const z = new Float64Array(w + 1); // envelope breakpoints
  for (let y = 0; y < h; y++) {
    let k = -1;
    for (let q = 0; q < w; q++) {
      const r = nearRow[y * w + q]!;
      if (r < 0) continue; // no known pixel in this column: no parabola
      f[q] = (r - y) * (r - y);
      if (k < 0) {
        k = 0;
        v[0] = q;
        z[0] = -Infinity;
        z[1] = Infinity;
        continue;
      }
      // Pop parabolas hidden by q's; z[0] = -Infinity stops the loop at k = 0.
      const cross = (p: number): number => (f[q]! + q * q - (f[p]! + p * p)) / (2 * q - 2 * p);
      let s = cross(v[k]!);
      while (s <= z[k]!) {
        k--;
        s = cross(v[k]!);
      }
      k++;
      v[k] = q;
      z[k] = s;
      z[k + 1] = Infinity;
    }
    if (k < 0) continue; // the image has no known pixel
    let j = 0;
    for (let x = 0; x < w; x++) {
      while (z[j + 1]! < x) j++;
      const q = v[j]!;
      out[y * w + x] = nearRow[y * w + q]! * w + q;
    }
  }
  return out;
}

/** Fill each hole pixel with the value of its Euclidean-nearest known pixel. */
export function nearestFill(y: ImageBatch, masks: readonly Mask[]): ImageBatch {
  return fillBatch(y, masks, (img, known, h, w, c) => {
    const src = nearestKnownIndex(known, h, w);
    for (let p = 0; p < h * w; p++) {
      if (known[p]) continue;
      const q = src[p]!;
      for (let k = 0; k < c; k++) img[p * c + k] = img[q * c + k]!;
    }
  });
}
