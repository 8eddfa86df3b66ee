/**
 * Importing the library changes nothing in TF.js: our gradient patches apply only through
 * installTfjsPatches (which initBackend calls), and its undo restores TF.js's own behaviour.
 * This file must not call initBackend/useBackend before the first check.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as lib from '../index.js';
import { installTfjsPatches } from './tfjs_patches.js';

/** Kernels run by an input-only gradient of a conv layer with a bias (what the GP and z-search do). */
async function inputGradKernels(): Promise<string[]> {
  const layer = tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', useBias: true });
  const x = tf.ones([1, 4, 4, 1]);
  layer.apply(x); // build
  const info = await tf.profile(() => tf.grad((t: tf.Tensor) => tf.sum(layer.apply(t) as tf.Tensor))(x));
  tf.dispose(x);
  layer.dispose();
  return info.kernels.map((k) => k.name);
}
const ours = (k: string) => String(tf.getGradient(k)?.gradFunc).includes('FAST_TILE');

test('importing the library leaves TF.js untouched; install applies the patches and undo removes them', async () => {
  assert.ok(typeof lib.inpaint === 'function');
  await tf.setBackend('cpu');
  assert.ok(
    (await inputGradKernels()).includes('Conv2DBackpropFilter'),
    'stock TF.js computes the filter gradient too',
  );
  assert.ok(!ours(tf.Mean) && !ours(tf.Sum), 'Mean/Sum gradients replaced on import');

  const p = installTfjsPatches('native');
  assert.deepEqual({ m: p.meanSumGradients, s: p.splitFused }, { m: true, s: true });
  assert.ok(
    !(await inputGradKernels()).includes('Conv2DBackpropFilter'),
    'patched: no filter gradient for an input-only gradient',
  );
  assert.ok(ours(tf.Mean) && ours(tf.Sum));
  p.undo();
  assert.ok((await inputGradKernels()).includes('Conv2DBackpropFilter'));
  assert.ok(!ours(tf.Mean) && !ours(tf.Sum), 'undo restores the Mean/Sum gradients');

  // Backends without a fast Tile keep TF.js's Mean/Sum gradients; a new install replaces the old one.
  const q = installTfjsPatches('wasm');
  assert.equal(q.meanSumGradients, false);
  assert.ok(!ours(tf.Mean));
  installTfjsPatches('native').undo();
  assert.ok(
    !ours(tf.Mean) && (await inputGradKernels()).includes('Conv2DBackpropFilter'),
    'the second install undid the first',
  );
});
