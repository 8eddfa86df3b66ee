/**
 * Adam with one fused kernel per variable where the backend provides it (the native backend
 * registers FUSED_ADAM_KERNEL). TF.js's own Adam runs ≈ 12 elementwise kernels per variable and
 * step — reading and writing the variable, both moments and the gradient several times over, ≈ 35 ms
 * of a 1.2 s WGAN-GP iteration at widths 64 — where one pass suffices. Same state (moment variables,
 * accumulated β powers, getWeights/setWeights) and, by construction, bit-identical results (the
 * kernel follows TF.js's operation order in float32; tested). On backends without the kernel it is
 * TF.js's Adam unchanged. Platform-neutral: only the kernel name is shared with the backend.
 *
 * It reads and writes tf.AdamOptimizer's private fields (AdamState below), so package.json pins
 * TF.js to the exact version it was tested with (4.22.0); a newer TF.js needs optim.test.ts to pass.
 */
import * as tf from '@tensorflow/tfjs';

import { FUSED_ADAM_KERNEL } from './kernel_names.js';

export { FUSED_ADAM_KERNEL } from './kernel_names.js';

/** The private state of tf.AdamOptimizer this class maintains exactly as the parent does. */
interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
}

export class FusedAdam extends tf.AdamOptimizer {
  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    if (!tf.getKernel(FUSED_ADAM_KERNEL, tf.getBackend())) {
      super.applyGradients(variableGradients);
      return;
    }
    const s = this as unknown as AdamState;
    const names = Array.isArray(variableGradients)
      ? variableGradients.map((v) => v.name)
      : Object.keys(variableGradients);
    // The parent computes 1 − β^t as float32 tensors from float32 variables: the same rounding here.
    const f32 = (x: number): number => Math.fround(x);
    const accB1 = s.accBeta1.dataSync()[0]!;
    const accB2 = s.accBeta2.dataSync()[0]!;
    const c = [s.beta1, 1 - s.beta1, s.beta2, 1 - s.beta2, 1 - accB1, 1 - accB2, s.epsilon, -s.learningRate].map(f32);
    tf.tidy(() => {
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name]!;
        s.accumulatedFirstMoment[i] ??= {
          originalName: `${name}/m`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
        s.accumulatedSecondMoment[i] ??= {
          originalName: `${name}/v`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
        const g = Array.isArray(variableGradients) ? variableGradients[i]!.tensor : variableGradients[name];
        if (g == null) return;
        const m = s.accumulatedFirstMoment[i]!.variable;
        const v = s.accumulatedSecondMoment[i]!.variable;
        const [nv, nm, nvv] = tf.engine().runKernel(FUSED_ADAM_KERNEL, { value, m, v, g }, { c }) as tf.Tensor[];
        m.assign(nm!);
        v.assign(nvv!);
        value.assign(nv!);
      });
      s.accBeta1.assign(tf.mul(s.accBeta1, s.beta1));
      s.accBeta2.assign(tf.mul(s.accBeta2, s.beta2));
    });
    this.incrementIterations();
  }
}
