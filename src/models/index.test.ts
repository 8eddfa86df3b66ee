import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildModels, disposeModel } from './index.js';
import { buildEncoder } from '../encoder/model.js';

const SPEC = { size: 28, channels: 1, nz: 4, gWidth: 4, dWidth: 4, criticNorm: 'layer', seed: 1 } as const;

test('disposeModel frees generator, critic and an attached encoder, and only those', () => {
  const before = tf.memory().numTensors;
  const gan = buildModels('dcgan', SPEC);
  assert.ok(tf.memory().numTensors > before);
  disposeModel(gan);
  assert.equal(tf.memory().numTensors, before);
  assert.throws(() => tf.tidy(() => gan.generator.predict(tf.zeros([1, 4]))), /disposed/);

  const withEncoder = {
    ...buildModels('mlp', SPEC),
    encoder: buildEncoder({ size: 28, channels: 1, nz: 4, width: 4, seed: 2 }),
  };
  disposeModel(withEncoder);
  assert.equal(tf.memory().numTensors, before);

  // An encoder that is null (a checkpoint loaded with encoder: false) is skipped.
  const own = buildEncoder({ size: 28, channels: 1, nz: 4, width: 4, seed: 3 });
  disposeModel({ ...buildModels('dcgan', SPEC), encoder: null });
  assert.ok(tf.memory().numTensors > before, 'the encoder held apart is still alive');
  own.dispose();
  assert.equal(tf.memory().numTensors, before);
});
