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
