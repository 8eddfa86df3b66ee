/**
 * Importance weights for the contextual loss (Yeh et al., CVPR 2017, eq. 3): known pixels close to
 * the hole matter more for choosing z than known pixels far away from it.
 *
 *   w_i = Σ_{j ∈ N(i)} (1 − M_j) / |N(i)|   if M_i = 1 (known),   w_i = 0 if M_i = 0 (unknown)
 *
 * N(i) is the window×window neighbourhood of pixel i (i included) **clipped to the image**: like Yeh
 * et al., only in-image pixels are counted, both in the numerator and in |N(i)|, so pixels outside the
 * image are neither holes nor known (a known pixel at a border next to a hole gets the same kind of
 * weight as one inside the image, and a fully-known image gets all-zero weights).
 *
 * Platform-neutral, O(H·W) whatever the window (summed-area table).
 */
import type { Mask } from '../types.js';
import { UserError } from '../util/errors.js';

/**
 * Per-pixel weights, H×W row-major, values in [0, 1). `window` is the side of the square
 * neighbourhood in pixels, an odd integer ≥ 1 (default 7, as in Yeh et al.). `floor`: every known pixel
 * weighs at least this much (0 = Yeh et al.'s weights; the search's default is 0.05, docs/FLOOR.md).
 */
export function importanceWeights(m: Mask, window = 7, floor = 0): Float32Array {
  if (!Number.isInteger(window) || window < 1 || window % 2 === 0) {
    throw new UserError(`importance-weight window must be an odd integer >= 1, got ${window}`);
  }
  const { height: h, width: w } = m;
  const r = (window - 1) / 2;
  // sat[(y)(w+1)+x] = number of holes in rows < y, columns < x: (H+1)×(W+1).
  const W1 = w + 1;
  const sat = new Float64Array((h + 1) * W1);
  for (let y = 0; y < h; y++) {
    let row = 0;
    for (let x = 0; x < w; x++) {
      row += m.data[y * w + x]! < 0.5 ? 1 : 0;
      sat[(y + 1) * W1 + x + 1] = sat[y * W1 + x + 1]! + row;
    }
  }
  const out = new Float32Array(h * w);
  for (let y = 0; y < h; y++) {
    const y0 = Math.max(0, y - r),
      y1 = Math.min(h, y + r + 1);
    for (let x = 0; x < w; x++) {
      if (m.data[y * w + x]! < 0.5) continue; // unknown pixels carry no contextual weight
      const x0 = Math.max(0, x - r),
        x1 = Math.min(w, x + r + 1);
      const holes = sat[y1 * W1 + x1]! - sat[y0 * W1 + x1]! - sat[y1 * W1 + x0]! + sat[y0 * W1 + x0]!;
      out[y * w + x] = Math.max(floor, holes / ((y1 - y0) * (x1 - x0)));
    }
  }
  return out;
}
