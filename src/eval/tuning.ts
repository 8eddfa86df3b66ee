/**
 * The tuning images: where settings of the search are chosen (tools/refine_sweep.ts, tools/joint_tune.ts,
 * tools/range_bound.ts), neither training images nor the images eval reports, and the two helpers those
 * tools share, the known-pixel fit two of them run, and the training batch of the tools that train a
 * network of their own. Node only (datasets).
 * - fashion-mnist: test images outside eval's 1,000 (the complement of selectEvalIndices(10000, 1000, 0));
 * - anything else (emoji): OpenMoji's drawings of the held-out test emoji (`emoji-openmoji` test): the
 *   shipped emoji model never saw OpenMoji, and eval reports `emoji-permissive` test images.
 */
import * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../data/load_node.js';
import { toImageBatch, type Dataset } from '../data/dataset.js';
import { maskTensor } from '../encoder/step.js';
import { fromModelRange, generate, toModelTensor } from '../models/sample.js';
import { encode } from '../inpaint/encoder_input.js';
import { trainingMasks } from '../encoder/masks.js';
import type { Rng } from '../util/rng.js';
import { selectEvalIndices } from '../data/split.js';
import { imagesAt, stackImages, type ImageBatch, type Mask } from '../types.js';
import { latentSearch, type ImageLosses, type InpaintModel } from '../inpaint/search.js';
import { composite } from '../inpaint/composite.js';
import type { InpaintOptions } from '../inpaint/options.js';
import { holeRegions, psnr } from '../metrics/pixel.js';
import { pairedDiff } from './runner.js';

/** The first `n` tuning images of a model's kind, at its size and channels. */
export async function tuningImages(model: string, n: number, size: number, channels: 1 | 3): Promise<ImageBatch> {
  if (model === 'fashion-mnist') {
    const ds = await loadDataset({ data: 'fashion-mnist', size, channels, split: 'test' });
    const evald = new Set(selectEvalIndices(ds.n, 1000, 0));
    const rest = Array.from({ length: ds.n }, (_, i) => i)
      .filter((i) => !evald.has(i))
      .slice(0, n);
    return toImageBatch(ds, rest);
  }
  const ds = await loadDataset({ data: 'emoji-openmoji', size, channels, split: 'test' });
  return toImageBatch(
    ds,
    Array.from({ length: Math.min(n, ds.n) }, (_, i) => i),
  );
}

/**
 * Complete `images` under `masks` by the latent search in batches of `batch` (the sweeps' 32: alone and
 * in a batch an image completes the same, so the batch only sets the speed). Returns the composites,
 * each image's hole PSNR (dB) and its search's losses.
 */
export async function completeInBatches(
  model: InpaintModel,
  images: ImageBatch,
  masks: Mask[],
  opts: Partial<InpaintOptions> = {},
  batch = 32,
): Promise<{ composite: ImageBatch; psnr: number[]; losses: ImageLosses[] }> {
  const parts: ImageBatch[] = [];
  const losses: ImageLosses[] = [];
  for (let a = 0; a < images.n; a += batch) {
    const e = Math.min(images.n, a + batch);
    const im = imagesAt(images, a, e),
      ms = masks.slice(a, e);
    const r = await latentSearch(model, im, ms, opts);
    parts.push(composite(im, r.raw, ms));
    losses.push(...r.losses);
  }
  const all = stackImages(parts);
  return { composite: all, psnr: psnr(all, images, holeRegions(masks)), losses };
}

/** Per-image values a against b as "+m.mm ± s.ss" (paired mean difference ± its standard error). */
export function formatPaired(a: readonly number[], b: readonly number[]): string {
  const { mean, se } = pairedDiff(a, b).diff;
  return `${mean >= 0 ? '+' : ''}${mean.toFixed(2)} ± ${se.toFixed(2)}`;
}

/**
 * A training batch for the experiment tools that train a network of their own
 * (tools/completion_critic.ts, tools/context_predictor.ts): `b` images of `ds` drawn uniformly with
 * replacement from `rng`, then one mask each of the encoder's training mix (src/encoder/masks.ts) from
 * the same `rng`. x: [b, h, w, C] in [−1, 1]; m: [b, h, w, 1], 1 known. The caller disposes both.
 */
export function trainingBatch(ds: Dataset, rng: Rng, b: number): { x: tf.Tensor4D; m: tf.Tensor4D } {
  const idx = Array.from({ length: b }, () => Math.floor(rng.next() * ds.n));
  const batch = toImageBatch(ds, idx);
  const m = maskTensor(trainingMasks(rng, b, ds.size, ds.size));
  return { x: toModelTensor(batch), m };
}

/**
 * argmin_z of mean |G(z) − y| over the pixels `masks` keep (a mask of all ones keeps every pixel: the
 * oracle; the eval masks keep the known pixels only), minus nothing or plus `penalty(g, z, m)` (a prior
 * on G(z) [N, h, w, C] in [−1, 1], z and the masks [N, h, w, 1]), by Adam (`lr`, `steps` steps) from the
 * encoder's code of the images under `masks`, z clipped to [−1, 1] after each step as the search clips
 * it (tools/range_bound.ts, tools/completion_critic.ts). Returns G(z) in [0, 1] and the last step's loss.
 */
export async function fitLatent(
  model: InpaintModel,
  images: ImageBatch,
  masks: Mask[],
  o: { steps: number; lr: number; penalty?: (g: tf.Tensor4D, z: tf.Variable, m: tf.Tensor4D) => tf.Scalar },
): Promise<{ raw: ImageBatch; loss: number }> {
  if (!model.encoder) throw new Error('fitLatent: the model has no encoder to start from');
  const z0 = await encode(model.encoder, images, masks);
  const z = tf.variable(tf.tensor2d(z0, [images.n, z0.length / images.n]));
  const y = toModelTensor(images);
  const m = maskTensor(masks);
  const opt = tf.train.adam(o.lr);
  let loss = Number.NaN;
  for (let s = 0; s < o.steps; s++) {
    const l = opt.minimize(
      () => {
        const g = generate(model.generator, z as tf.Tensor2D);
        const fit = tf.div(tf.sum(tf.mul(tf.abs(tf.sub(g, y)), m)), tf.mul(tf.sum(m), images.channels)) as tf.Scalar;
        return o.penalty ? (tf.add(fit, o.penalty(g, z, m)) as tf.Scalar) : fit;
      },
      true,
      [z],
    );
    tf.tidy(() => z.assign(tf.clipByValue(z, -1, 1)));
    if (s === o.steps - 1) loss = (await l!.data())[0]!;
    l?.dispose();
  }
  const rawT = tf.tidy(() => fromModelRange(generate(model.generator, z as tf.Tensor2D)));
  const raw: ImageBatch = { ...images, data: Float32Array.from(await rawT.data()) };
  tf.dispose([rawT, z, y, m]);
  opt.dispose();
  return { raw, loss };
}
