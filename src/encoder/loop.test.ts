import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { trainEncoder, type EncoderTrainResult } from './loop.js';
import { loadEncoder, readEncoderManifest } from './checkpoint.js';
import { generatorDigest } from './manifest.js';
import { encode } from './model.js';
import { listCheckpoints, saveCheckpoint } from '../train/checkpoint.js';
import { resolveConfig } from '../config/config.js';
import { makeMask } from '../masks/masks.js';
import { sample } from '../models/sample.js';
import { UserError } from '../util/errors.js';
import { expressiveTinyGan, samplesDataset, testBackend } from '../testing/fixtures.js';
import { disposeModel } from '../models/index.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-enc-loop-'));

/** The expressive tiny GAN saved as a checkpoint folder; its samples as training and held-out data. */
async function tinyModel(
  seed = 1,
): Promise<{ dir: string; data: ReturnType<typeof samplesDataset>; val: ReturnType<typeof samplesDataset> }> {
  const gan = expressiveTinyGan(seed);
  const config = resolveConfig({ data: 'g-samples', size: 28, channels: 1, nz: 8, gWidth: 8, dWidth: 4 });
  const dir = path.join(tmp(), 'model');
  await saveCheckpoint(dir, { ...gan, manifest: { step: 5, seed: 0, config } });
  const data = samplesDataset(gan.generator, 24, 1),
    val = { ...samplesDataset(gan.generator, 10, 2), split: 'test' as const };
  disposeModel(gan);
  return { dir, data, val };
}

const dispose = (r: EncoderTrainResult) => {
  r.encoder.dispose();
  disposeModel(r.model);
};
const weights = (r: EncoderTrainResult) => r.encoder.getWeights().map((t) => Array.from(t.dataSync()));
// The latent loss on (it is off by default), so the loop's z stream is exercised too.
const cfg = { batch: 4, width: 2, valN: 10, seed: 3, latentWeight: 1 };

test('a few steps write the run folder; RUN/encoder names the generator and gives the same z', async () => {
  await testBackend();
  const m = await tinyModel();
  const out = tmp();
  const r = await trainEncoder(
    { ...cfg, model: m.dir, iters: 4, sampleEvery: 2, checkpointEvery: 2 },
    { out, dataset: m.data, valDataset: m.val },
  );
  try {
    assert.equal(r.step, 4);
    for (const f of [
      'config.json',
      'stats.jsonl',
      'plot.svg',
      'plot.png',
      'samples/latest.png',
      'samples/iter-0000000.png',
      'samples/iter-0000002.png',
      'encoder/model.json',
      'encoder/manifest.json',
    ])
      assert.ok(fs.existsSync(path.join(out, f)), f);
    const stats = fs
      .readFileSync(path.join(out, 'stats.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      stats.map((s) => s.iter),
      [1, 2, 3, 4],
    );
    for (const s of stats)
      for (const k of ['loss', 'recon', 'context', 'latent', 'imagesPerSec', 'tensors'])
        assert.ok(Number.isFinite(s[k]), k);
    assert.equal(stats[0].adv, null, 'adv weight 0: not computed');
    assert.deepEqual(
      stats.map((s) => typeof s.valHolePsnr),
      ['undefined', 'number', 'undefined', 'number'],
    );
    assert.deepEqual(Object.keys(stats[1].valByKind), ['center', 'random', 'half', 'pattern', 'strokes']);
    assert.equal(new Set(stats.map((s) => s.tensors)).size, 1, `tensor counts ${stats.map((s) => s.tensors)}`);
    assert.deepEqual(
      listCheckpoints(out).map((d) => path.basename(d)),
      ['iter-0000002', 'iter-0000004'],
    );
    assert.ok(fs.existsSync(path.join(out, 'checkpoints', 'iter-0000004', 'optimizer.bin')));
    assert.ok(
      !fs.existsSync(path.join(out, 'encoder', 'optimizer.bin')),
      'the finished encoder has no optimizer state',
    );
    const man = readEncoderManifest(path.join(out, 'encoder'));
    assert.equal(man.generator.digest, await generatorDigest(r.model.generator));
    assert.equal(man.step, 4);
    const loaded = await loadEncoder(out, r.model.generator, 'tiny');
    assert.equal(loaded.dir, path.join(out, 'encoder'));
    const ys = sample(r.model.generator, 2, 4);
    const masks = [makeMask('center', 28, 28), makeMask('strokes', 28, 28, { seed: 1 })];
    assert.deepEqual(
      Array.from(await encode(loaded.encoder, ys, masks)),
      Array.from(await encode(r.encoder, ys, masks)),
    );
    loaded.encoder.dispose();
  } finally {
    dispose(r);
  }
});

test('resume continues exactly (Adam state, data order, masks); settings and generator are checked', async () => {
  await testBackend();
  const m = await tinyModel();
  const opts = (out: string, resume = false) => ({ out, dataset: m.data, valDataset: m.val, resume });
  const straight = await trainEncoder({ ...cfg, model: m.dir, iters: 4, checkpointEvery: 100 }, opts(tmp()));
  const split = tmp();
  dispose(await trainEncoder({ ...cfg, model: m.dir, iters: 2, checkpointEvery: 100 }, opts(split)));
  const resumed = await trainEncoder({ iters: 4 }, opts(split, true));
  try {
    assert.equal(resumed.step, 4);
    assert.deepEqual(
      fs
        .readFileSync(path.join(split, 'stats.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).iter),
      [1, 2, 3, 4],
    );
    assert.deepEqual(weights(resumed), weights(straight));
    await assert.rejects(
      trainEncoder({ ...cfg, model: m.dir, iters: 5 }, opts(split)),
      (e: Error) => e instanceof UserError && /already has checkpoints; pass --resume/.test(e.message),
    );
    await assert.rejects(
      trainEncoder({ batch: 8, iters: 6 }, opts(split, true)),
      (e: Error) => e instanceof UserError && /'batch' differs/.test(e.message),
    );
    await assert.rejects(trainEncoder({ iters: 6 }, opts(tmp(), true)), /no complete checkpoint/);
    // The model folder's generator replaced by another: the run refuses to continue.
    const other = expressiveTinyGan(7);
    await saveCheckpoint(m.dir, {
      ...other,
      manifest: {
        step: 5,
        seed: 0,
        config: resolveConfig({ data: 'g-samples', size: 28, channels: 1, nz: 8, gWidth: 8, dWidth: 4 }),
      },
    });
    disposeModel(other);
    await assert.rejects(
      trainEncoder({ iters: 6 }, opts(split, true)),
      (e: Error) => e instanceof UserError && /another generator/.test(e.message),
    );
  } finally {
    dispose(straight);
    dispose(resumed);
  }
});

test('abort writes a checkpoint at the current step and RUN/encoder; the run resumes from it', async () => {
  await testBackend();
  const m = await tinyModel();
  const out = tmp();
  const ac = new AbortController();
  const r = await trainEncoder(
    { ...cfg, model: m.dir, iters: 50, checkpointEvery: 100 },
    {
      out,
      dataset: m.data,
      valDataset: m.val,
      signal: ac.signal,
      onProgress: (p) => {
        if (p.iter === 3) ac.abort();
      },
    },
  );
  dispose(r);
  assert.equal(r.aborted, true);
  assert.equal(r.step, 3);
  assert.deepEqual(
    listCheckpoints(out).map((d) => path.basename(d)),
    ['iter-0000003'],
  );
  assert.equal(readEncoderManifest(path.join(out, 'encoder')).step, 3);
  const before = tf.memory().numTensors;
  const r2 = await trainEncoder({ iters: 4 }, { out, dataset: m.data, valDataset: m.val, resume: true });
  assert.equal(r2.step, 4);
  dispose(r2);
  assert.equal(tf.memory().numTensors, before, 'tensors left after a run');
});

test('resume skips a corrupted newest encoder checkpoint (same size) and continues exactly from the previous one', async () => {
  await testBackend();
  const m = await tinyModel();
  const out = tmp();
  const straight = await trainEncoder(
    { ...cfg, model: m.dir, iters: 4, checkpointEvery: 2, keepCheckpoints: 3 },
    { out, dataset: m.data, valDataset: m.val },
  );
  // 4 flipped bytes in the newest checkpoint's weights: same size, only its digest tells.
  const wf = path.join(out, 'checkpoints', 'iter-0000004', 'weights.bin');
  const b = fs.readFileSync(wf);
  for (let i = 0; i < 4; i++) b[(b.length >> 1) + i]! ^= 0x5a;
  fs.writeFileSync(wf, b);
  const log: string[] = [];
  const resumed = await trainEncoder(
    { iters: 4 },
    { out, dataset: m.data, valDataset: m.val, resume: true, onLog: (l) => log.push(l) },
  );
  try {
    assert.ok(
      log.some((l) =>
        /^notice: checkpoint iter-0000004 is damaged \(weights\.bin does not match its SHA-256 in manifest\.json.*\); using iter-0000002 instead$/.test(
          l,
        ),
      ),
      log.join('\n'),
    );
    assert.ok(
      log.some((l) => /resumed from .*iter-0000002 at step 2$/.test(l)),
      log.join('\n'),
    );
    assert.equal(resumed.step, 4);
    assert.deepEqual(weights(resumed), weights(straight));
  } finally {
    dispose(straight);
    dispose(resumed);
  }
});
