/**
 * A small CNN image classifier, used only to *measure* inpainting: semantic accuracy (does a completed
 * image still show its class?) and FD-classifier (a Fréchet distance on its penultimate features).
 * Platform-neutral (TF.js layers only); saving/loading is in classifier_node.ts.
 *
 * Network, image [N, s, s, C] in [0, 1] → logits [N, classes]:
 *   conv 3×3 (w) → ReLU → maxpool 2 → conv 3×3 (2w) → ReLU → maxpool 2 → flatten
 *   → dense (features, ReLU; the layer named `features`) → dense (classes, linear logits).
 * With w = 16 and 64 features a 32×32 grey image costs ≈ 2.9 MFLOP forward (conv2 is 80 % of it), small
 * enough to train an epoch of Fashion-MNIST in a minute or two on the wasm/native backends.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageBatch } from '../types.js';
import { imageSize } from '../types.js';
import type { Dataset } from '../data/dataset.js';
import { fillBatch, imageBytes } from '../data/dataset.js';
import { Rng } from '../util/rng.js';
import { UserError } from '../util/errors.js';

export interface ClassifierSpec {
  /** Square image side, px. */
  size: number;
  channels: 1 | 3;
  classes: number;
  /** Filters of the first conv (the second has twice as many). */
  width: number;
  /** Units of the penultimate (feature) layer. */
  features: number;
  seed: number;
}

export const DEFAULT_CLASSIFIER_SPEC: Omit<ClassifierSpec, 'size' | 'channels' | 'classes'> = {
  width: 16,
  features: 64,
  seed: 0,
};

/** Name of the penultimate layer whose activations FD-classifier uses. */
export const FEATURE_LAYER = 'features';

/** Build the (untrained) classifier. Weights are seeded, so a spec gives the same network. */
export function buildClassifier(s: ClassifierSpec): tf.LayersModel {
  if (!(Number.isInteger(s.classes) && s.classes >= 2))
    throw new UserError(`classifier: need at least 2 classes, got ${s.classes}`);
  let seed = s.seed * 1000 + 7;
  const init = () => tf.initializers.glorotUniform({ seed: seed++ });
  const m = tf.sequential({ name: 'classifier' });
  m.add(
    tf.layers.conv2d({
      inputShape: [s.size, s.size, s.channels],
      filters: s.width,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: init(),
      name: 'c_conv1',
    }),
  );
  m.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'c_pool1' }));
  m.add(
    tf.layers.conv2d({
      filters: s.width * 2,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: init(),
      name: 'c_conv2',
    }),
  );
  m.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'c_pool2' }));
  m.add(tf.layers.flatten({ name: 'c_flatten' }));
  m.add(tf.layers.dense({ units: s.features, activation: 'relu', kernelInitializer: init(), name: FEATURE_LAYER }));
  m.add(tf.layers.dense({ units: s.classes, kernelInitializer: init(), name: 'c_logits' }));
  return m;
}

/** Input shape [size, size, channels] of a classifier. */
export function classifierInput(m: tf.LayersModel): { size: number; channels: number } {
  const [, h, w, c] = m.inputs[0]!.shape as number[];
  if (h !== w) throw new UserError(`classifier input is ${w}×${h}; only square inputs are supported`);
  return { size: h!, channels: c! };
}

/** Throw a one-line UserError unless `images` match the classifier's input. */
export function checkClassifierInput(
  m: tf.LayersModel,
  images: Pick<ImageBatch, 'height' | 'width' | 'channels'>,
  what = 'images',
): void {
  const { size, channels } = classifierInput(m);
  if (images.height !== size || images.width !== size || images.channels !== channels) {
    throw new UserError(
      `${what} are ${images.width}×${images.height}×${images.channels}, the classifier takes ${size}×${size}×${channels} (train one with matching --size/--channels)`,
    );
  }
}

/** Images per forward pass when predicting (bounds memory for large batches). */
const PREDICT_CHUNK = 256;

/** Run `model` on `images` in chunks; returns the rows concatenated ([N·dim], dim = output width). */
function runChunked(model: tf.LayersModel, images: ImageBatch): { data: Float32Array; dim: number } {
  const s = imageSize(images);
  const dim = (model.outputs[0]!.shape as number[]).at(-1)!;
  const out = new Float32Array(images.n * dim);
  for (let i0 = 0; i0 < images.n; i0 += PREDICT_CHUNK) {
    const n = Math.min(PREDICT_CHUNK, images.n - i0);
    const y = tf.tidy(() => {
      const x = tf.tensor4d(images.data.subarray(i0 * s, (i0 + n) * s), [
        n,
        images.height,
        images.width,
        images.channels,
      ]);
      return model.apply(x, { training: false }) as tf.Tensor;
    });
    out.set(y.dataSync() as Float32Array, i0 * dim);
    y.dispose();
  }
  return { data: out, dim };
}

/** Predicted class of each image (argmax of the logits). */
export function predictClasses(m: tf.LayersModel, images: ImageBatch): Int32Array {
  checkClassifierInput(m, images);
  const { data, dim } = runChunked(m, images);
  const out = new Int32Array(images.n);
  for (let i = 0; i < images.n; i++) {
    let best = 0;
    for (let k = 1; k < dim; k++) if (data[i * dim + k]! > data[i * dim + best]!) best = k;
    out[i] = best;
  }
  return out;
}

/** Fraction of `images` whose predicted class equals `labels[i]`, in [0, 1]. */
export function accuracy(m: tf.LayersModel, images: ImageBatch, labels: ArrayLike<number>): number {
  if (labels.length !== images.n) throw new Error(`accuracy: ${labels.length} labels for ${images.n} images`);
  return images.n === 0 ? NaN : accuracyOf(predictClasses(m, images), labels);
}

/** Fraction of predicted classes equal to their labels, in [0, 1] (NaN for none). */
export function accuracyOf(predicted: ArrayLike<number>, labels: ArrayLike<number>): number {
  let ok = 0;
  for (let i = 0; i < predicted.length; i++) if (predicted[i] === labels[i]) ok++;
  return predicted.length ? ok / predicted.length : NaN;
}

/**
 * A model from the classifier's input to its penultimate layer (`features`, or the second-to-last
 * layer of a classifier built elsewhere). Shares the weights; dispose nothing.
 */
export function featureModel(m: tf.LayersModel): tf.LayersModel {
  const layer = m.layers.find((l) => l.name === FEATURE_LAYER) ?? m.layers.at(-2);
  if (!layer) throw new UserError('classifier has too few layers to take penultimate features from');
  return tf.model({ inputs: m.inputs, outputs: layer.output as tf.SymbolicTensor });
}

/** Penultimate-layer features of `images`: row-major [N × dim]. */
export function classifierFeatures(m: tf.LayersModel, images: ImageBatch): { data: Float32Array; dim: number } {
  checkClassifierInput(m, images);
  return runChunked(featureModel(m), images);
}

export interface TrainClassifierOptions {
  epochs: number;
  batch: number;
  /** Adam learning rate. */
  lr: number;
  seed: number;
  /** Called after every batch: epoch (from 0), batch index, batches per epoch, mean loss of that batch. */
  onBatch?: (epoch: number, batch: number, batches: number, loss: number) => void;
  signal?: AbortSignal;
}

export const DEFAULT_TRAIN_CLASSIFIER: Omit<TrainClassifierOptions, 'onBatch' | 'signal'> = {
  epochs: 3,
  batch: 64,
  lr: 1e-3,
  seed: 0,
};

/**
 * Train `m` in place on a labelled dataset (softmax cross-entropy, Adam), with a seeded shuffle every
 * epoch. Returns the mean loss of each epoch. The last partial batch of an epoch is used too.
 */
export async function trainClassifier(
  m: tf.LayersModel,
  ds: Dataset,
  opts: Partial<TrainClassifierOptions> = {},
): Promise<number[]> {
  const o = { ...DEFAULT_TRAIN_CLASSIFIER, ...opts };
  if (!ds.labels || !ds.classNames)
    throw new UserError(
      `dataset '${ds.name}' has no labels: a classifier needs a labelled dataset (built-ins, or a folder with one sub-folder per class)`,
    );
  const classes = (m.outputs[0]!.shape as number[]).at(-1)!;
  if (ds.classNames.length !== classes)
    throw new UserError(`dataset has ${ds.classNames.length} classes, the classifier ${classes}`);
  checkClassifierInput(m, { height: ds.size, width: ds.size, channels: ds.channels }, `${ds.name} images`);
  const labels = ds.labels;
  const opt = tf.train.adam(o.lr);
  const rng = new Rng(o.seed);
  const order = Int32Array.from({ length: ds.n }, (_, i) => i);
  const buf = new Float32Array(o.batch * imageBytes(ds));
  const batches = Math.ceil(ds.n / o.batch);
  const losses: number[] = [];
  const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
  try {
    for (let e = 0; e < o.epochs; e++) {
      rng.shuffle(order);
      let sum = 0;
      for (let b = 0; b < batches; b++) {
        if (o.signal?.aborted) throw new UserError('classifier training aborted');
        const idx = order.subarray(b * o.batch, Math.min(ds.n, (b + 1) * o.batch));
        const n = idx.length;
        fillBatch(ds, idx, buf, '[0,1]');
        const lab = Int32Array.from(idx, (i) => labels[i]!);
        const loss = tf.tidy(() => {
          const x = tf.tensor4d(buf.subarray(0, n * imageBytes(ds)), [n, ds.size, ds.size, ds.channels]);
          const y = tf.oneHot(tf.tensor1d(lab, 'int32'), classes);
          return opt.minimize(
            () => tf.losses.softmaxCrossEntropy(y, m.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
            true,
            vars,
          )!;
        });
        const l = (await loss.data())[0]!;
        loss.dispose();
        if (!Number.isFinite(l))
          throw new UserError(`classifier training diverged (loss ${l}) at epoch ${e + 1}, batch ${b + 1}`);
        sum += l * n;
        o.onBatch?.(e, b, batches, l);
      }
      losses.push(sum / ds.n);
    }
  } finally {
    opt.dispose();
  }
  return losses;
}
