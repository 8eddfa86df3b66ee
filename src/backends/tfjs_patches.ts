/**
 * Our changes to TF.js, in one place and only on request: `installTfjsPatches(backend)` (called by
 * `initBackend` and by the web page's backend set-up) applies them and returns an undo; importing
 * this module, or the library, changes nothing. Two patches, each the same mathematics as TF.js's
 * own (tested to first and second order) and only faster:
 *
 * 1. Mean/Sum gradients (backends with a fast Tile: native).
 * 2. Linear fused conv2d/matMul run as plain ops under a gradient tape (every backend; where
 *    tfjs-core's `fused` namespace is a frozen ES module — browser bundles — it cannot be applied
 *    and `installTfjsPatches` reports `splitFused: false`: same values, TF.js's slower gradient).
 *
 * ## 1. Mean/Sum gradients
 *
 * TF.js's own gradient of y = mean(x, axes) is `dy·ones(x.shape) / n`: it fills an x-sized array with
 * ones in a JavaScript loop, then runs a full-size Multiply and a full-size RealDiv. The critic's layer
 * norm takes two means over [H, W, C] per layer and the gradient penalty a sum over [H, W, C], so on
 * a 64×16×16×64 activation that is 1 M floats written by JS plus two memory-bound passes, many times
 * per training step (≈ 8 % of a WGAN-GP iteration on the native backend). Here the (small) dy is
 * scaled first and then broadcast to x's shape in one pass (the Tile kernel).
 *
 * The broadcast is wrapped in tf.customGrad so that ITS gradient is a plain sum over the broadcast
 * axes: the gradient penalty differentiates these gradients again, and TF.js's own gradient of Tile
 * (used by tf.broadcastTo) slices and adds once per repetition — thousands of ops here.
 */
import * as tf from '@tensorflow/tfjs';
import * as tfc from '@tensorflow/tfjs-core';

/** x (size 1 on `axes`) broadcast to `shape`; its gradient is the sum of dy over `axes`. */
function broadcastSummingGrad(x: tf.Tensor, shape: number[], axes: number[]): tf.Tensor {
  const f = tf.customGrad((input: tf.Tensor | tf.GradSaveFunc) => ({
    value: tf.broadcastTo(input as tf.Tensor, shape),
    gradFunc: (dy: tf.Tensor) => tf.sum(dy, axes, true),
  }));
  return f(x);
}

/** dy (the reduction's output) reshaped to x's rank with 1 on the reduced axes, scaled, broadcast. */
function reductionGrad(dy: tf.Tensor, x: tf.Tensor, axisAttr: unknown, mean: boolean): tf.Tensor {
  const axes = tf.util.parseAxisParam(axisAttr as number | number[], x.shape);
  const expanded = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  let g = tf.reshape(dy, expanded);
  if (g.dtype !== 'float32') g = tf.cast(g, 'float32');
  if (mean) {
    const n = axes.reduce((p, i) => p * x.shape[i]!, 1);
    g = tf.div(g, n);
  }
  return axes.some((i) => x.shape[i] !== 1) ? broadcastSummingGrad(g, x.shape, axes) : g;
}

const KERNELS = [tf.Mean, tf.Sum] as const;
/** TF.js's own configs, kept so tests and benchmarks can compare (see useStockGradients). */
const stock = new Map(KERNELS.map((k) => [k, tf.getGradient(k)]));

/**
 * Backends whose Tile kernel is a fast broadcast copy. Elsewhere TF.js's own gradient is kept: the
 * wasm backend's Tile is a generic per-element index loop, and there a WGAN-GP iteration (32×32×3,
 * widths 64) took 11.7 s with the broadcast vs 9.9 s with ones·dy/n (native: 1.48 → 1.35 s the
 * other way round).
 */
const FAST_TILE = new Set(['native']);

function fastConfig(kernelName: (typeof KERNELS)[number]): tf.GradConfig {
  const fallback = stock.get(kernelName);
  return {
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      if (fallback && !FAST_TILE.has(tf.getBackend())) return fallback.gradFunc(dy, saved, attrs);
      const [x] = saved as tf.Tensor[];
      return { x: () => reductionGrad(dy as tf.Tensor, x!, attrs.axis, kernelName === tf.Mean) };
    },
  };
}

/** true: TF.js's original Mean/Sum gradients (as registered before any install); false: the ones above. */
export function useStockGradients(on: boolean): void {
  for (const k of KERNELS) {
    const s = stock.get(k);
    if (on && s) tf.registerGradient(s);
    else tf.registerGradient(fastConfig(k));
  }
}

/**
 * ## 2. Linear fused ops under a gradient tape
 *
 * Layers' convolutions and dense layers with a bias go through tf.fused.conv2d / tf.fused.matMul,
 * whose gradient (a tf.customGrad inside TF.js) computes the input, filter AND bias gradients
 * eagerly, whether or not they are needed. Differentiating the critic with respect to its input —
 * the gradient penalty's inner gradient, the generator step, every iteration of the z-search —
 * then pays a full filter-gradient GEMM per layer for nothing (18 of the 81 Conv2DBackpropFilter
 * calls of a WGAN-GP iteration; all 3 of a completion iteration). Under a gradient tape, a linear
 * fused op is therefore run as its two plain ops (conv2d / matMul, then add the bias), whose
 * registered gradients are computed per input only when that input needs one. Same values, same
 * first- and second-order gradients (tested); outside a tape (inference) the fused kernel is kept.
 *
 * The functions are replaced on tfjs-core's `fused` namespace, which tfjs-layers reads at call
 * time. Where that namespace is a frozen ES module (browser bundles) nothing changes.
 */
type FusedConvArgs = Parameters<typeof tfc.fused.conv2d>[0];
type FusedMatMulArgs = Parameters<typeof tfc.fused.matMul>[0];
const stockFused = { conv2d: tfc.fused.conv2d, matMul: tfc.fused.matMul };

function unfusable(a: { activation?: string; preluActivationWeights?: unknown }): boolean {
  return (
    tf.engine().state.gradientDepth > 0 && (a.activation ?? 'linear') === 'linear' && a.preluActivationWeights == null
  );
}

function withBias<T extends tf.Tensor>(y: T, bias: tf.Tensor | tf.TensorLike | undefined): T {
  return bias == null ? y : (tfc.add(y, bias) as T);
}

const splitFused = {
  conv2d: (a: FusedConvArgs): tf.Tensor => {
    if (!unfusable(a) || (a.dataFormat ?? 'NHWC') !== 'NHWC') return stockFused.conv2d(a);
    return withBias(tfc.conv2d(a.x, a.filter, a.strides, a.pad, 'NHWC', a.dilations, a.dimRoundingMode), a.bias);
  },
  matMul: (a: FusedMatMulArgs): tf.Tensor => {
    if (!unfusable(a)) return stockFused.matMul(a);
    return withBias(tfc.matMul(a.a, a.b, a.transposeA, a.transposeB), a.bias);
  },
};

/**
 * true: split linear fused ops under a gradient tape; false: TF.js's own fused ops always (tests
 * compare). Returns whether the namespace could be changed.
 */
export function splitFusedUnderGradient(on: boolean): boolean {
  const target = tfc.fused as unknown as Record<string, unknown>;
  const impl = on ? splitFused : stockFused;
  try {
    target.conv2d = impl.conv2d;
    target.matMul = impl.matMul;
    return target.conv2d === impl.conv2d;
  } catch {
    return false; // a frozen ES module namespace
  }
}

export interface AppliedPatches {
  /** Mean/Sum gradients replaced (backends with a fast Tile only). */
  meanSumGradients: boolean;
  /** Linear fused ops split under a gradient tape (false where the namespace is frozen). */
  splitFused: boolean;
}

let undoCurrent: (() => void) | null = null;

/**
 * Apply the patches that suit `backend` (a TF.js backend name), replacing any earlier installation.
 * Returns what was applied and an undo that restores TF.js exactly as it was.
 */
export function installTfjsPatches(backend: string): AppliedPatches & { undo: () => void } {
  undoCurrent?.();
  const meanSumGradients = FAST_TILE.has(backend);
  if (meanSumGradients) useStockGradients(false);
  const splitFused = splitFusedUnderGradient(true);
  const undo = () => {
    if (undoCurrent !== undo) return;
    useStockGradients(true);
    splitFusedUnderGradient(false);
    undoCurrent = null;
  };
  undoCurrent = undo;
  return { meanSumGradients, splitFused, undo };
}
