/**
 * Small synthetic data and settings shared by tests (compiled with the tests, not part of the API).
 */
import type { Dataset } from '../data/dataset.js';
import { Rng } from '../util/rng.js';
import { initBackend, loadableBackends } from '../backends/index.js';
import * as tf from '@tensorflow/tfjs';
import { buildModels, type GanModels } from '../models/index.js';
import { sample } from '../models/sample.js';

/**
 * `n` 28×28 grey images of one bright vertical bar at a random column on a dark background: a
 * distribution a tiny GAN can learn in a few hundred iterations, and where a correct fill is known.
 */
export function barsDataset(n: number, seed = 0, size = 28): Dataset {
  const rng = new Rng(seed);
  const px = new Uint8Array(n * size * size);
  for (let i = 0; i < n; i++) {
    const x0 = 4 + rng.int(size - 12),
      w = 4;
    for (let y = 0; y < size; y++) for (let x = x0; x < x0 + w; x++) px[i * size * size + y * size + x] = 230;
  }
  return { name: 'bars', split: 'train', size, channels: 1, n, pixels: px, skipped: 0 };
}

/**
 * barsDataset with labels: the class of an image is which of `classes` equal bands of columns its bar
 * starts in (for the measures that need a labelled dataset and a classifier).
 */
export function labelledBarsDataset(n: number, seed = 0, size = 28, classes = 10): Dataset {
  const ds = barsDataset(n, seed, size);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const row = ds.pixels.subarray(i * size * size, i * size * size + size);
    const x0 = row.findIndex((v) => v > 0);
    labels[i] = Math.min(classes - 1, Math.floor(((x0 - 4) / (size - 12)) * classes));
  }
  return { ...ds, labels, classNames: Array.from({ length: classes }, (_, k) => `band${k}`) };
}

/** The tiniest training config: seconds on any backend. */
export const TINY = { size: 28 as const, channels: 1 as const, nz: 4, gWidth: 2, dWidth: 2, batch: 4, nCritic: 1 };

/**
 * Backends the end-to-end tests run on: $WGAN_TEST_BACKENDS (comma-separated), default native and
 * wasm. Under CI (CI=true) every listed backend must load — a native addon that failed to build is a
 * test failure there, not a silent skip; elsewhere an unavailable backend is left out with a note.
 */
export const E2E_BACKENDS: string[] = await (async () => {
  const want = (process.env.WGAN_TEST_BACKENDS ?? 'native,wasm').split(',').filter(Boolean);
  const ok = await loadableBackends(want, (b, why) => {
    if (process.env.CI === 'true') throw new Error(`test backend '${b}' does not load under CI: ${why}`);
    process.stderr.write(`note: end-to-end tests skip backend '${b}': ${why}\n`);
  });
  await initBackend('cpu');
  return ok;
})();

/** Switch to a backend for an end-to-end test. */
export async function useBackend(b: string): Promise<void> {
  await initBackend(b);
}

/** Backend for single-backend tests: the first end-to-end backend (native when it loads). */
export async function testBackend(): Promise<string> {
  return initBackend(E2E_BACKENDS[0] ?? 'cpu');
}

/**
 * A random 28×28 grey DCGAN (nz 8) whose generator weights are scaled ×14, so that its samples vary
 * with z (an untrained generator's are almost constant, ≈ 0.5 ± 0.0001; these differ by ≈ 0.15 per
 * pixel between samples): a generator whose range is known, for tests of the latent search and the
 * encoder, where the right answer is G's own sample.
 */
export function expressiveTinyGan(seed = 1): GanModels {
  const m = buildModels('dcgan', { size: 28, channels: 1, nz: 8, gWidth: 8, dWidth: 4, criticNorm: 'layer', seed });
  for (const w of m.generator.trainableWeights) {
    const v = w.read() as tf.Variable;
    if (v.shape.length < 2) continue; // kernels only; BN's γ, β stay
    const scaled = tf.mul(v, 14);
    v.assign(scaled);
    scaled.dispose();
  }
  return m;
}

/** `n` samples of G (seeded) as a Dataset (bytes), e.g. the training set of an encoder for G. */
export function samplesDataset(G: tf.LayersModel, n: number, seed: number, name = 'g-samples'): Dataset {
  const s = sample(G, n, seed);
  const pixels = Uint8Array.from(s.data, (v) => Math.round(v * 255));
  return { name, split: 'train', size: s.height, channels: s.channels as 1 | 3, n, pixels, skipped: 0 };
}
