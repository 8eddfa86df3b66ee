import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ImageBatch } from '../types.js';
import { UserError } from '../util/errors.js';
import { ssim } from './ssim.js';

/**
 * The deterministic 32x32x3 pair used for the scikit-image reference (float32, as in TS):
 *   a = 0.5 + 0.35 sin(0.31x + 0.17y + 1.1c) + 0.1 cos(0.05xy)
 *   b = clip(a + 0.08 sin(12.9898x + 78.233y + 37.719c), 0, 1)
 */
function pair(): [ImageBatch, ImageBatch] {
  const H = 32,
    W = 32,
    C = 3;
  const a = new Float32Array(H * W * C),
    b = new Float32Array(H * W * C);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      for (let c = 0; c < C; c++) {
        const i = (y * W + x) * C + c;
        a[i] = 0.5 + 0.35 * Math.sin(0.31 * x + 0.17 * y + 1.1 * c) + 0.1 * Math.cos(0.05 * x * y);
        b[i] = Math.min(1, Math.max(0, a[i]! + 0.08 * Math.sin(12.9898 * x + 78.233 * y + 37.719 * c)));
      }
  const mk = (data: Float32Array): ImageBatch => ({ data, n: 1, height: H, width: W, channels: C });
  return [mk(a), mk(b)];
}

/** Channel 0 of a batch as a grey batch. */
function grey(x: ImageBatch): ImageBatch {
  const hw = x.height * x.width,
    data = new Float32Array(hw);
  for (let p = 0; p < hw; p++) data[p] = x.data[p * x.channels]!;
  return { data, n: 1, height: x.height, width: x.width, channels: 1 };
}

test('ssim is 1 for identical images', () => {
  const [a] = pair();
  assert.ok(Math.abs(ssim(a, a)[0]! - 1) < 1e-12);
});

test('ssim matches scikit-image 0.19.3 on a fixed pair', () => {
  // Reference: Debian python3-skimage 0.19.3 (numpy 1.24.2), /usr/bin/python3:
  //   y, x, c = np.meshgrid(np.arange(32), np.arange(32), np.arange(3), indexing='ij')
  //   a = (0.5 + 0.35*np.sin(0.31*x + 0.17*y + 1.1*c) + 0.1*np.cos(0.05*x*y)).astype(np.float32)
  //   b = np.clip(a.astype(np.float64) + 0.08*np.sin(12.9898*x + 78.233*y + 37.719*c), 0, 1).astype(np.float32)
  //   a, b = a.astype(np.float64), b.astype(np.float64)
  //   structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
  //                         data_range=1, channel_axis=-1)          → 0.90650220462345
  //   structural_similarity(a[..., 0], b[..., 0], <same options, no channel_axis>) → 0.9035986574293763
  const [a, b] = pair();
  const rgb = ssim(a, b)[0]!;
  assert.ok(Math.abs(rgb - 0.90650220462345) < 1e-6, `rgb ssim ${rgb}`);
  const g = ssim(grey(a), grey(b))[0]!;
  assert.ok(Math.abs(g - 0.9035986574293763) < 1e-6, `grey ssim ${g}`);
});

test('ssim is per image in a batch and rejects images smaller than the window', () => {
  const [a, b] = pair();
  const two = (x: ImageBatch, y: ImageBatch): ImageBatch => ({
    ...x,
    n: 2,
    data: Float32Array.from([...x.data, ...y.data]),
  });
  const r = ssim(two(a, a), two(a, b));
  assert.ok(Math.abs(r[0]! - 1) < 1e-12 && Math.abs(r[1]! - 0.90650220462345) < 1e-6);
  const small: ImageBatch = { data: new Float32Array(100), n: 1, height: 10, width: 10, channels: 1 };
  assert.throws(() => ssim(small, small), UserError);
});
