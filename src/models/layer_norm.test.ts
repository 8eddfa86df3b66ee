/**
 * The fused layer norm (native kernels, src/models/layers.ts layerNorm) against the TF.js-ops form on
 * the cpu backend: values, the plain gradient (fused gradient kernels) and the gradient penalty's
 * second-order pattern (the inner gradient the fused kernel, differentiated again by the second-order kernel).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import {
  addonPath,
  nativeKernelCounts,
  nativeLoadError,
  registerNativeBackend,
  resetNativeKernelCounts,
} from '../backends/native.js';
import {
  LAYER_NORM_GRAD_GAMMA_KERNEL,
  LAYER_NORM_GRAD_X_GRAD_KERNEL,
  LAYER_NORM_GRAD_X_KERNEL,
  LAYER_NORM_KERNEL,
} from '../backends/kernel_names.js';
import { diffLeakyRelu, layerNorm } from './layers.js';
import { Rng } from '../util/rng.js';

const skip = fs.existsSync(addonPath())
  ? false
  : `native addon not built (${addonPath()} missing; run \`npm run build:native\`)`;

/** f's outputs on a backend, from the same inputs. */
async function outputs(
  backend: string,
  inputs: { shape: number[]; data: Float32Array }[],
  f: (...xs: tf.Tensor[]) => tf.Tensor[],
) {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const xs = inputs.map((i) => tf.tensor(i.data, i.shape));
  const res = tf.tidy(() => f(...xs));
  const out = res.map((t) => ({ shape: t.shape, values: t.dataSync() as Float32Array }));
  tf.dispose([...res, ...xs]);
  assert.equal(tf.memory().numTensors, before, `${backend}: tensors leaked`);
  return out;
}

async function compare(label: string, shapes: number[][], f: (...xs: tf.Tensor[]) => tf.Tensor[], tol = 2e-4) {
  const rng = new Rng(3);
  const inputs = shapes.map((shape) => ({
    shape,
    data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()),
  }));
  const ref = await outputs('cpu', inputs, f);
  const got = await outputs('native', inputs, f);
  for (let k = 0; k < ref.length; k++) {
    assert.deepEqual(got[k]!.shape, ref[k]!.shape, `${label}: output ${k} shape`);
    let scale = 1e-6,
      err = 0;
    ref[k]!.values.forEach((r, i) => {
      scale = Math.max(scale, Math.abs(r));
      err = Math.max(err, Math.abs(r - got[k]!.values[i]!));
    });
    assert.ok(err <= tol * scale, `${label}: output ${k} max error ${err} vs max |ref| ${scale}`);
  }
}

describe('fused layer norm (native) against the TF.js ops', { skip }, () => {
  it('values, the plain gradient and the gradient penalty second-order gradient agree; the fused kernels ran', async () => {
    assert.ok(registerNativeBackend(), `registerNativeBackend failed: ${nativeLoadError()}`);
    resetNativeKernelCounts();
    const eps = 1e-5;
    for (const shape of [
      [3, 4, 4, 8],
      [5, 7, 3, 2],
    ]) {
      const feat = shape.slice(1);
      const shapes = [shape, feat, feat, shape];
      // Values, and ∂(Σ LN(x)·w)/∂(x, γ, β): a plain gradient (the fused gradient kernels on native).
      await compare(`layer norm ${shape}`, shapes, (x, g, b, w) => [
        layerNorm(x!, g!, b!, eps),
        ...tf.grads((xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(layerNorm(xx, gg, bb, eps), w!)))([
          x!,
          g!,
          b!,
        ]),
      ]);
      // The gradient penalty's pattern: ∂(Σ c·(∂D/∂x)²)/∂(x, γ, w), D = Σ lrelu(LN(x))·w (∂D/∂x does not
      // depend on β); w reaches the layer norm's input gradient through its dy (native: the second-order
      // kernel). The weights c (as a convolution before the norm would) keep ∂L/∂(∂D/∂x) from being
      // orthogonal to the normalised x, which would zero some of the second order's terms.
      await compare(`layer norm second order ${shape}`, [...shapes, shape], (x, g, b, w, c) => {
        const D = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor, ww: tf.Tensor) =>
          tf.sum(tf.mul(diffLeakyRelu(layerNorm(xx, gg, bb, eps)), ww)) as tf.Scalar;
        const penalty = (xx: tf.Tensor, gg: tf.Tensor, ww: tf.Tensor) =>
          tf.sum(tf.mul(tf.square(tf.grad((x2: tf.Tensor) => D(x2, gg, b!, ww))(xx)), c!)) as tf.Scalar;
        return tf.grads(penalty)([x!, g!, w!]);
      });
    }
    const counts = nativeKernelCounts();
    for (const k of [
      LAYER_NORM_KERNEL,
      LAYER_NORM_GRAD_X_KERNEL,
      LAYER_NORM_GRAD_GAMMA_KERNEL,
      LAYER_NORM_GRAD_X_GRAD_KERNEL,
    ])
      assert.ok((counts.get(k)?.native ?? 0) > 0, `${k} did not run`);
    // One call makes all three second-order outputs; with only x in the gradient the unused two must be
    // freed with the backward pass (checked outside any tidy, so nothing else would free them).
    await tf.setBackend('native');
    const x = tf.randomNormal([3, 4, 4, 8], 0, 1, 'float32', 5),
      g = tf.randomNormal([4, 4, 8], 1, 0.1, 'float32', 6),
      b = tf.zeros([4, 4, 8]),
      w = tf.randomNormal([3, 4, 4, 8], 0, 1, 'float32', 7);
    const before = tf.memory().numTensors;
    resetNativeKernelCounts();
    const gx = tf.grad((xx: tf.Tensor) =>
      tf.sum(tf.square(tf.grad((x2: tf.Tensor) => tf.sum(tf.mul(diffLeakyRelu(layerNorm(x2, g, b, eps)), w)))(xx))),
    )(x);
    assert.equal(nativeKernelCounts().get(LAYER_NORM_GRAD_X_GRAD_KERNEL)?.native, 1, 'one second-order call');
    gx.dispose();
    assert.equal(tf.memory().numTensors, before, 'second-order outputs leaked');
    tf.dispose([x, g, b, w]);
    await tf.setBackend('cpu');
  });
});
