import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backends/index.js';
import { buildModels, disposeModel } from '../models/index.js';
import { sample } from '../models/sample.js';
import { loadDataset } from '../data/load_node.js';
import { toImageBatch } from '../data/dataset.js';
import { frechetDistance } from '../metrics/index.js';
import { main } from '../cli/run.js';
import { accuracy, buildClassifier, classifierFeatures, predictClasses } from './classifier.js';
import { fdClassifier, fdClassifierImages } from './fd.js';
import { loadClassifier, saveClassifier } from './classifier_node.js';
import { UserError } from '../util/errors.js';

type T = { mock: { method: (o: object, m: string, f: (...a: unknown[]) => unknown) => unknown } };
/** Silence the CLI's progress (stderr) and messages (stdout) so tests print nothing. */
function quiet(t: T): void {
  t.mock.method(console, 'log', () => {});
  t.mock.method(console, 'warn', () => {});
  t.mock.method(process.stderr, 'write', () => true);
}

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-clf-'));

test('classifier train (CLI) on 300 Fashion-MNIST images, 1 epoch, beats chance on test; saved folder reloads', async (t) => {
  quiet(t);
  const dir = tmp();
  try {
    const out = path.join(dir, 'clf');
    const code = await main([
      'classifier',
      'train',
      '--data',
      'fashion-mnist',
      '--size',
      '28',
      '--limit',
      '300',
      '--test-limit',
      '200',
      '--epochs',
      '1',
      '--batch',
      '16',
      '--width',
      '8',
      '--features',
      '32',
      '--out',
      out,
    ]);
    assert.equal(code, 0);
    const c = await loadClassifier(out);
    try {
      assert.equal(c.manifest.testN, 200);
      assert.equal(c.manifest.trainN, 300);
      assert.equal(c.manifest.classNames.length, 10);
      // Chance is 10 %; 300 images and 19 Adam steps reach ≈ 40–50 %.
      assert.ok(c.manifest.testAccuracy > 0.25, `test accuracy ${c.manifest.testAccuracy}`);
      // Independent re-measurement with the reloaded weights gives the saved figure.
      const test = await loadDataset({ data: 'fashion-mnist', size: 28, channels: 1, split: 'test', limit: 200 });
      const acc = accuracy(
        c.model,
        toImageBatch(
          test,
          Int32Array.from({ length: 200 }, (_, i) => i),
        ),
        test.labels!,
      );
      assert.equal(acc, c.manifest.testAccuracy);
    } finally {
      c.model.dispose();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('fdClassifier: ≈ 0 for a set against itself, > 0 against a different set; no tensor leak', async () => {
  await initBackend('cpu');
  const gan = buildModels('dcgan', {
    size: 28,
    channels: 1,
    nz: 8,
    gWidth: 4,
    dWidth: 4,
    criticNorm: 'layer',
    seed: 2,
  });
  const clf = buildClassifier({ size: 28, channels: 1, classes: 10, width: 4, features: 8, seed: 1 });
  try {
    const before = tf.memory().numTensors;
    const same = sample(gan.generator, 40, 7);
    const fdSame = fdClassifier(gan.generator, clf, same, 40, 7);
    assert.ok(Math.abs(fdSame) < 1e-6, `FD with itself ${fdSame}`);
    // A different set: the samples brightened by 0.3 (clipped), so the features move.
    const other = { ...same, data: same.data.map((v) => Math.min(1, v + 0.3)) };
    const fdOther = fdClassifier(gan.generator, clf, other, 40, 7);
    assert.ok(fdOther > 1e-4, `FD against another set ${fdOther}`);
    // Independent route: features by hand → frechetDistance.
    const fa = classifierFeatures(clf, same),
      fb = classifierFeatures(clf, other);
    assert.equal(fa.dim, 8);
    const ref = frechetDistance(fa.data, 40, fb.data, 40, 8);
    assert.ok(Math.abs(fdOther - ref) <= 1e-9 * Math.max(1, ref), `${fdOther} vs ${ref}`);
    assert.equal(fdClassifierImages(clf, same, other), ref);
    assert.equal(tf.memory().numTensors, before, 'tensors leaked');
    assert.throws(() => fdClassifier(gan.generator, clf, same, 1, 0), UserError);
  } finally {
    disposeModel(gan);
    clf.dispose();
  }
});

test('predictClasses is the argmax of the logits; wrong image shape is a UserError; save/load round trip', async () => {
  await initBackend('cpu');
  const clf = buildClassifier({ size: 8, channels: 1, classes: 3, width: 2, features: 4, seed: 3 });
  const dir = tmp();
  try {
    const x: { data: Float32Array; n: number; height: number; width: number; channels: number } = {
      data: Float32Array.from({ length: 5 * 64 }, (_, i) => ((i * 37) % 101) / 100),
      n: 5,
      height: 8,
      width: 8,
      channels: 1,
    };
    const logits = tf.tidy(
      () => (clf.predict(tf.tensor4d(x.data, [5, 8, 8, 1])) as tf.Tensor).arraySync() as number[][],
    );
    const want = logits.map((r) => r.indexOf(Math.max(...r)));
    assert.deepEqual([...predictClasses(clf, x)], want);
    assert.equal(accuracy(clf, x, want), 1);
    assert.throws(() => predictClasses(clf, { ...x, channels: 3, data: new Float32Array(5 * 64 * 3) }), UserError);
    await saveClassifier(path.join(dir, 'c'), clf, {
      data: 'test',
      size: 8,
      channels: 1,
      classNames: ['a', 'b', 'c'],
      width: 2,
      features: 4,
      epochs: 0,
      batch: 1,
      lr: 1,
      seed: 3,
      trainN: 0,
      testAccuracy: 0,
      testN: 0,
      epochLosses: [],
      trainSeconds: 0,
      backend: 'cpu',
    });
    const c = await loadClassifier(path.join(dir, 'c'));
    try {
      assert.deepEqual([...predictClasses(c.model, x)], want);
      assert.deepEqual(classifierFeatures(c.model, x).data, classifierFeatures(clf, x).data);
    } finally {
      c.model.dispose();
    }
    await assert.rejects(loadClassifier(path.join(dir, 'missing')), UserError);
  } finally {
    clf.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
