/**
 * Custom layers the models need. Registered with TF.js's serialization so that saved models load in
 * Node and in the browser (importing this module registers them).
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Leaky ReLU written as `a·x + b·|x|` with a = (1+α)/2, b = (1−α)/2, which equals max(x, αx).
 * TF.js's own leakyRelu (and maximum) has no second-order gradient ("gradient function not found for
 * Greater"), and the WGAN-GP penalty differentiates the critic twice; abs does differentiate twice.
 */
export function diffLeakyRelu(x: tf.Tensor, alpha = 0.2): tf.Tensor {
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
    return tf.tidy(() => {
      const axes = Array.from({ length: x.rank - 1 }, (_, i) => i + 1);
      const mean = tf.mean(x, axes, true);
      const xc = tf.sub(x, mean);
      const variance = tf.mean(tf.square(xc), axes, true);
      const xn = tf.mul(xc, tf.rsqrt(tf.add(variance, this.epsilon)));
      return tf.add(tf.mul(xn, this.gamma.read()), this.beta.read());
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}
tf.serialization.registerClass(LayerNorm);
