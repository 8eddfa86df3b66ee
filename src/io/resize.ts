/**
 * Float image resizing for bringing a fill computed at the model's size back to the original image size
 * (and for scaling inputs down to the model's size). Pure TS, platform-neutral.
 */
import type { ImageBatch } from '../types.js';

/**
 * Bilinear resize of image `i` of a batch to width×height (half-pixel centres, as OpenCV/PIL; edges
 * clamped). When shrinking by more than 2× the source is box-averaged first, so detail is not aliased.
 */
export function resizeBilinear(b: ImageBatch, width: number, height: number, i = 0): ImageBatch {
  const c = b.channels,
    s = b.height * b.width * c;
  let src = b.data.subarray(i * s, (i + 1) * s),
    sh = b.height,
    sw = b.width;
  // Pre-shrink by an integer box factor so that the bilinear step shrinks by at most 2×.
  const fy = Math.max(1, Math.floor(sh / height / 2) * 2 || 1),
    fx = Math.max(1, Math.floor(sw / width / 2) * 2 || 1);
  if (fy > 1 || fx > 1) {
    const nh = Math.floor(sh / fy),
      nw = Math.floor(sw / fx);
    const box = new Float32Array(nh * nw * c);
    for (let y = 0; y < nh; y++)
      for (let x = 0; x < nw; x++)
        for (let k = 0; k < c; k++) {
          let acc = 0;
          for (let dy = 0; dy < fy; dy++)
            for (let dx = 0; dx < fx; dx++) acc += src[((y * fy + dy) * sw + x * fx + dx) * c + k]!;
          box[(y * nw + x) * c + k] = acc / (fy * fx);
        }
    src = box;
    sh = nh;
    sw = nw;
  }
  const out = new Float32Array(height * width * c);
  const sy = sh / height,
    sx = sw / width;
  for (let y = 0; y < height; y++) {
    const yf = Math.min(sh - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(yf),
      y1 = Math.min(sh - 1, y0 + 1),
      wy = yf - y0;
    for (let x = 0; x < width; x++) {
      const xf = Math.min(sw - 1, Math.max(0, (x + 0.5) * sx - 0.5));
      const x0 = Math.floor(xf),
        x1 = Math.min(sw - 1, x0 + 1),
        wx = xf - x0;
      for (let k = 0; k < c; k++) {
        const a = src[(y0 * sw + x0) * c + k]!,
          bb = src[(y0 * sw + x1) * c + k]!;
        const cc = src[(y1 * sw + x0) * c + k]!,
          d = src[(y1 * sw + x1) * c + k]!;
        out[(y * width + x) * c + k] = (a * (1 - wx) + bb * wx) * (1 - wy) + (cc * (1 - wx) + d * wx) * wy;
      }
    }
  }
  return { data: out, n: 1, height, width, channels: c };
}
