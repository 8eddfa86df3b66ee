/**
 * Custom layers the models need. Registered with TF.js's serialization so that saved models load in
 * Node and in the browser (importing this module registers them).
 */
import * as tf from '@tensorflow/tfjs';
import {
  LAYER_NORM_GRAD_GAMMA_KERNEL,
  LAYER_NORM_GRAD_X_GRAD_KERNEL,
  LAYER_NORM_GRAD_X_KERNEL,
  LAYER_NORM_KERNEL,
} from '../backends/kernel_names.js';

/**
 * Leaky ReLU y = x·m with m = (x > 0 ? 1 : α) — max(x, αx) for 0 ≤ α ≤ 1 — with a hand-written
 * gradient dy·m, so that it is cheap and still differentiates twice.
 *
 * TF.js's own leakyRelu (and maximum) has no second-order gradient ("gradient function not found for
 * Greater"), and the WGAN-GP penalty differentiates the critic twice. The previous formulation
 * `a·x + b·|x|` (a = (1+α)/2, b = (1−α)/2; kept as diffLeakyReluAbs for the tests) did, but cost
 * 4 elementwise kernels forward (Multiply, Abs, Multiply, Add) and 5 backward (Multiply ×3, Step,
 * Add), plus more in the penalty's second pass (ZerosLike, Multiply, Add, …): each a memory-bound
 * pass over a whole activation. This one costs 2 forward (Step, Multiply; m is saved) and 1 backward
 * (Multiply dy·m); the penalty's second pass differentiates that Multiply, 1 more (ddy·m). Through a
 * second-order gradient that is 12 fewer full-size kernels per leaky ReLU (tf.profile); on the
 * default WGAN-GP config (native backend) an iteration went from ≈1650 to ≈1480 ms.
 *
 * Why the second-order gradient is right: tf.customGrad runs the forward with the tape off, so m is
 * a constant to every later differentiation and the gradient dy·m differentiates only through dy.
 * That is exact for a piecewise-linear function, whose second derivative is 0 almost everywhere
 * (the abs formulation gives the same, as Step's own gradient is 0). At x = 0 the gradient is α, as
 * before. The saved m is freed with the tape by the outermost gradient call (not saved at all when
 * no tape is recording). NaN propagates to y; x = −∞ gives −∞ (the abs formulation gave NaN).
 */
export function diffLeakyRelu(x: tf.Tensor, alpha = 0.2): tf.Tensor {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xx = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const m = tf.step(xx, alpha);
    save([m]);
    return { value: tf.mul(xx, m), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, saved[0]!) };
  });
  // Compute in float32 as the abs formulation did (its Mul with a float scalar upcast): Step on an
  // int tensor would truncate α to 0.
  if (x.dtype !== 'float32') return tf.tidy(() => f(tf.cast(x, 'float32')));
  return f(x);
}

/**
 * The previous formulation `a·x + b·|x|` (a = (1+α)/2, b = (1−α)/2), differentiated by TF.js's own
 * gradients: the reference the tests compare diffLeakyRelu's values and first- and second-order
 * gradients against. Not used by the models.
 */
export function diffLeakyReluAbs(x: tf.Tensor, alpha = 0.2): tf.Tensor {
  return tf.tidy(() => tf.add(tf.mul(x, (1 + alpha) / 2), tf.mul(tf.abs(x), (1 - alpha) / 2)));
}

export class DiffLeakyReLU extends tf.layers.Layer {
  static className = 'DiffLeakyReLU';
  readonly alpha: number;
  constructor(args: { alpha?: number; name?: string } = {}) {
    super(args.name ? { name: args.name } : {});
    this.alpha = args.alpha ?? 0.2;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    return diffLeakyRelu(x, this.alpha);
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), alpha: this.alpha };
  }
}
tf.serialization.registerClass(DiffLeakyReLU);

/**
 * Layer normalisation over all of a sample's features [H, W, C] (as PyTorch's nn.LayerNorm([C, H, W])
 * in the WGAN-GP critic), with a learned per-feature scale and shift of shape [H, W, C].
 *
 * Written with elementwise ops instead of tf.layers.layerNormalization, which goes through the
 * FusedBatchNorm kernel: the wasm backend's FusedBatchNorm assumes per-channel statistics and reads
 * out of bounds with per-sample ones (wrong values on small nets, a crash on large ones). These ops
 * also differentiate twice correctly, as the gradient penalty needs.
 */
export class LayerNorm extends tf.layers.Layer {
  static className = 'WganLayerNorm';
  readonly epsilon: number;
  private gamma!: tf.LayerVariable;
  private beta!: tf.LayerVariable;
  constructor(args: { epsilon?: number; name?: string } = {}) {
    super(args.name ? { name: args.name } : {});
    this.epsilon = args.epsilon ?? 1e-5;
  }
  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as (number | null)[];
    const feat = s.slice(1) as number[];
    this.gamma = this.addWeight('gamma', feat, 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', feat, 'float32', tf.initializers.zeros());
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    return layerNorm(x, this.gamma.read(), this.beta.read(), this.epsilon);
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}
tf.serialization.registerClass(LayerNorm);

/**
 * Layer norm over all but the first axis (x [N, …], γ and β the shape of one sample): one fused kernel
 * where the backend has it (native: 1 pass instead of ≈ 9 kernels, its first-order gradient in 2 —
 * the gradient registered below), else layerNormComposed.
 */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor {
  if (x.dtype === 'float32' && tf.getKernel(LAYER_NORM_KERNEL, tf.getBackend()))
    return tf.engine().runKernel(LAYER_NORM_KERNEL, { x, gamma, beta }, { epsilon }) as tf.Tensor;
  return tf.tidy(() => layerNormComposed(x, gamma, beta, epsilon));
}

/** Layer norm over all but the first axis, in TF.js ops (every backend; differentiable to any order). */
export function layerNormComposed(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor {
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i + 1);
  const mean = tf.mean(x, axes, true);
  const xc = tf.sub(x, mean);
  const variance = tf.mean(tf.square(xc), axes, true);
  const xn = tf.mul(xc, tf.rsqrt(tf.add(variance, epsilon)));
  return tf.add(tf.mul(xn, gamma), beta);
}

/**
 * The fused layer norm's gradients. With no tape recording the backward pass (a plain gradient: the
 * critic's and the generator's losses, the z search), the fused gradient kernels. While one is (the
 * gradient penalty's ∂D/∂x, which is differentiated again), dx is still the fused kernel when the
 * backend also has its second-order kernel (LAYER_NORM_GRAD_X_GRAD_KERNEL, registered as its gradient
 * below), else the same gradient in TF.js ops, which differentiate once more; dγ is written in TF.js
 * ops: dx = r·(g − mean(g) − x̂·mean(g·x̂)), g = dy·γ, x̂ = (x − μ)·r; dγ = Σ_samples dy·x̂;
 * dβ = Σ_samples dy. (engine.isTapeOn is TF.js's own test of whether the ops run now are recorded;
 * package.json pins the TF.js version.)
 */
tf.registerGradient({
  kernelName: LAYER_NORM_KERNEL,
  inputsToSave: ['x', 'gamma'],
  gradFunc: (dy, saved, attrs) => {
    const [x, gamma] = saved as [tf.Tensor, tf.Tensor];
    const g0 = dy as tf.Tensor;
    const epsilon = (attrs as { epsilon: number }).epsilon;
    const taped = (tf.engine() as unknown as { isTapeOn(): boolean }).isTapeOn();
    const axes = Array.from({ length: x.rank - 1 }, (_, i) => i + 1);
    const normalised = () => {
      const xc = tf.sub(x, tf.mean(x, axes, true));
      return tf.mul(xc, tf.rsqrt(tf.add(tf.mean(tf.square(xc), axes, true), epsilon)));
    };
    return {
      x: () => {
        if (!taped || tf.getKernel(LAYER_NORM_GRAD_X_GRAD_KERNEL, tf.getBackend()))
          return tf.engine().runKernel(LAYER_NORM_GRAD_X_KERNEL, { x, gamma, dy: g0 }, { epsilon }) as tf.Tensor;
        const mean = tf.mean(x, axes, true),
          xc = tf.sub(x, mean),
          r = tf.rsqrt(tf.add(tf.mean(tf.square(xc), axes, true), epsilon)),
          xh = tf.mul(xc, r),
          g = tf.mul(g0, gamma);
        return tf.mul(r, tf.sub(tf.sub(g, tf.mean(g, axes, true)), tf.mul(xh, tf.mean(tf.mul(g, xh), axes, true))));
      },
      gamma: () =>
        taped
          ? tf.sum(tf.mul(g0, normalised()), 0)
          : (tf.engine().runKernel(LAYER_NORM_GRAD_GAMMA_KERNEL, { x, dy: g0 }, { epsilon }) as tf.Tensor),
      beta: () => tf.sum(g0, 0),
    };
  },
});

/**
 * The fused input gradient's own gradient (its taped use above): u = ∂L/∂dx in, ∂L/∂(x, γ, dy) out, all
 * three from one kernel call (src/backends/kernel_names.ts), made here rather than in the closures: the
 * engine runs each closure in its own tidy, so outputs made there and not returned would be lost, while
 * these live in the backward pass's scope, which disposes any the pruned graph never asks for (the
 * gradient penalty asks for all three). No third order: nothing here needs one.
 */
tf.registerGradient({
  kernelName: LAYER_NORM_GRAD_X_KERNEL,
  inputsToSave: ['x', 'gamma', 'dy'],
  gradFunc: (u, saved, attrs) => {
    const [x, gamma, dy] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
    const epsilon = (attrs as { epsilon: number }).epsilon;
    const [ddx, dgamma, ddy] = tf
      .engine()
      .runKernel(LAYER_NORM_GRAD_X_GRAD_KERNEL, { x, gamma, dy, u: u as tf.Tensor }, { epsilon }) as tf.Tensor[];
    return { x: () => ddx!, gamma: () => dgamma!, dy: () => ddy! };
  },
});
