/**
 * Pure-TS resampling of byte images, used for the built-in 28×28 datasets (60000 tiny images: a JS
 * loop with precomputed weights is far faster than 60000 round trips through sharp).
 *
 * The filter is the triangle (bilinear) kernel with half-pixel centres, widened by the scale factor
 * when shrinking so that downsampling averages instead of aliasing (the same rule as PIL's BILINEAR).
 * Taps that fall outside the image are dropped and the remaining weights renormalised.
 */

/** For each output coordinate: first input index and normalised weights. */
export interface Taps {
  start: Int32Array;
  /** Weights, `width` per output coordinate (zero-padded). */
  weights: Float32Array;
  width: number;
}

/** Separable 1-D resampling taps from `inSize` to `outSize` pixels. */
export function bilinearTaps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize; // input pixels per output pixel
  const support = Math.max(1, scale); // triangle half-width, in input pixels
  const width = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const weights = new Float32Array(outSize * width);
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) * scale; // in input pixel units, pixel i covers [i, i+1]
    const lo = Math.max(0, Math.floor(centre - support));
    const hi = Math.min(inSize - 1, Math.ceil(centre + support));
    start[o] = lo;
    let sum = 0;
    for (let i = lo; i <= hi && i - lo < width; i++) {
      const w = Math.max(0, 1 - Math.abs(i + 0.5 - centre) / support);
      weights[o * width + (i - lo)] = w;
      sum += w;
    }
    for (let k = 0; k < width; k++) weights[o * width + k]! /= sum || 1;
  }
  return { start, weights, width };
}

/** Non-zero taps only, flattened: output o uses inputs idx[off[o]..off[o+1]) with weights w[…]. */
function compactTaps(t: Taps, outSize: number): { off: Int32Array; idx: Int32Array; w: Float32Array } {
  const off = new Int32Array(outSize + 1);
  const idx: number[] = [],
    w: number[] = [];
  for (let o = 0; o < outSize; o++) {
    for (let k = 0; k < t.width; k++) {
      const wk = t.weights[o * t.width + k]!;
      if (wk !== 0) {
        idx.push(t.start[o]! + k);
        w.push(wk);
      }
    }
    off[o + 1] = idx.length;
  }
  return { off, idx: Int32Array.from(idx), w: Float32Array.from(w) };
}

/**
 * Resize `n` square images (NHWC bytes, side `inSize`, `channels` channels) to side `outSize`.
 * Returns new bytes (rounded, clamped to 0..255); returns the input itself when the size is unchanged.
 * Cost: ≈ n·(inSize·outSize + outSize²)·channels·taps multiply-adds (taps = 2 when enlarging).
 */
export function resizeSquare(
  src: Uint8Array,
  n: number,
  inSize: number,
  outSize: number,
  channels: number,
): Uint8Array {
  if (inSize === outSize) return src;
  const { off, idx, w } = compactTaps(bilinearTaps(inSize, outSize), outSize);
  const c = channels;
  const rowIn = inSize * c,
    rowOut = outSize * c;
  const out = new Uint8Array(n * outSize * rowOut);
  const tmp = new Float32Array(inSize * rowOut); // after the horizontal pass: inSize rows × outSize cols × c
  for (let img = 0; img < n; img++) {
    const base = img * inSize * rowIn;
    // Horizontal pass: tmp[y][x][k] = Σ_t w_t · src[y][idx_t][k].
    for (let y = 0; y < inSize; y++) {
      const sRow = base + y * rowIn,
        tRow = y * rowOut;
      for (let x = 0; x < outSize; x++) {
        const a = off[x]!,
          b = off[x + 1]!;
        for (let k = 0; k < c; k++) {
          let acc = 0;
          for (let t = a; t < b; t++) acc += w[t]! * src[sRow + idx[t]! * c + k]!;
          tmp[tRow + x * c + k] = acc;
        }
      }
    }
    // Vertical pass (same taps: the images are square), whole rows at a time.
    const ob = img * outSize * rowOut;
    for (let y = 0; y < outSize; y++) {
      const a = off[y]!,
        b = off[y + 1]!,
        oRow = ob + y * rowOut;
      for (let j = 0; j < rowOut; j++) {
        let acc = 0;
        for (let t = a; t < b; t++) acc += w[t]! * tmp[idx[t]! * rowOut + j]!;
        out[oRow + j] = acc <= 0 ? 0 : acc >= 255 ? 255 : Math.round(acc);
      }
    }
  }
  return out;
}

/** Grey → RGB by replicating the one channel three times. */
export function greyToRgb(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(src.length * 3);
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    out[3 * i] = v;
    out[3 * i + 1] = v;
    out[3 * i + 2] = v;
  }
  return out;
}
