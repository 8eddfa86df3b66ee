import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { train, type TrainResult } from './loop.js';
import { loadGanCheckpoint, listCheckpoints } from './checkpoint.js';
import { RunDir } from './run_dir.js';
import { sample } from '../models/sample.js';
import { barsDataset, TINY, E2E_BACKENDS, useBackend } from '../testing/fixtures.js';
import { UserError } from '../util/errors.js';
import { inpaint } from '../inpaint/inpaint.js';
import { makeMask } from '../masks/masks.js';
import * as tf from '@tensorflow/tfjs';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-train-'));
const ds = barsDataset(32);

for (const backend of E2E_BACKENDS) {
  test(`[${backend}] a few iterations write the run folder; the checkpoint reloads to the same samples`, async () => {
    await useBackend(backend);
    const out = tmp();
    const r = await train(
      { ...TINY, iters: 3, sampleEvery: 2, checkpointEvery: 2, data: 'bars' },
      { out, dataset: ds },
    );
    assert.equal(r.step, 3);
    for (const f of [
      'config.json',
      'stats.jsonl',
      'plot.svg',
      'plot.png',
      'samples/latest.png',
      'samples/iter-0000002.png',
    ])
      assert.ok(fs.existsSync(path.join(out, f)), f);
    const stats = fs
      .readFileSync(path.join(out, 'stats.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      stats.map((s) => s.iter),
      [1, 2, 3],
    );
    for (const s of stats)
      for (const k of ['criticLoss', 'wEstimate', 'penalty', 'genLoss', 'imagesPerSec', 'tensors', 'rssMB'])
        assert.ok(Number.isFinite(s[k]), k);
    // The loop holds no growing set of tensors: the count is the same after every iteration.
    assert.equal(new Set(stats.map((s) => s.tensors)).size, 1, `tensor counts ${stats.map((s) => s.tensors)}`);
    assert.deepEqual(
      listCheckpoints(out).map((d) => path.basename(d)),
      ['iter-0000002', 'iter-0000003'],
    );
    const ck = await loadGanCheckpoint(out);
    assert.equal(ck.manifest.step, 3);
    assert.equal(ck.manifest.config.nz, 4);
    assert.equal(ck.manifest.dataset?.n, 32);
    const a = sample(r.models.generator, 4, 7),
      b = sample(ck.generator, 4, 7);
    assert.deepEqual(Array.from(b.data), Array.from(a.data));
    assert.notDeepEqual(Array.from(sample(ck.generator, 4, 8).data), Array.from(a.data));
  });
}

for (const backend of E2E_BACKENDS) {
  test(`[${backend}] resume continues the count and reproduces an uninterrupted run exactly`, async () => {
    await useBackend(backend);
    const cfg = { ...TINY, iters: 4, checkpointEvery: 100, data: 'bars', seed: 3 };
    const straight = tmp();
    const r1 = await train(cfg, { out: straight, dataset: ds });
    const split = tmp();
    await train({ ...cfg, iters: 2 }, { out: split, dataset: ds });
    const r2 = await train({ iters: 4 }, { out: split, dataset: ds, resume: true });
    assert.equal(r2.step, 4);
    const stats = fs
      .readFileSync(path.join(split, 'stats.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).iter);
    assert.deepEqual(stats, [1, 2, 3, 4]);
    const w1 = r1.models.generator.getWeights().map((t) => Array.from(t.dataSync()));
    const w2 = r2.models.generator.getWeights().map((t) => Array.from(t.dataSync()));
    assert.deepEqual(w2, w1);
  });
}

test('an exported resumable state (newest checkpoint only) continues the run exactly', async () => {
  await useBackend('cpu');
  const cfg = { ...TINY, iters: 4, checkpointEvery: 1, keepCheckpoints: 3, data: 'bars', seed: 5 };
  const straight = tmp();
  const r1 = await train(cfg, { out: straight, dataset: ds });
  const run = tmp();
  await train({ ...cfg, iters: 2 }, { out: run, dataset: ds });
  const state = path.join(tmp(), 'training', 'bars');
  const ck = await new RunDir(run).exportResumable(state);
  assert.equal(path.basename(ck), 'iter-0000002');
  assert.deepEqual(
    listCheckpoints(state).map((d) => path.basename(d)),
    ['iter-0000002'],
    'only the newest checkpoint is exported',
  );
  for (const f of [
    'config.json',
    'stats.jsonl',
    'plot.svg',
    'samples/latest.png',
    'checkpoints/iter-0000002/optimizer/critic.bin',
  ])
    assert.ok(fs.existsSync(path.join(state, f)), f);
  assert.ok(!fs.existsSync(path.join(state, 'samples', 'iter-0000000.png')), 'old sample grids are not exported');
  const r2 = await train({ iters: 4 }, { out: state, dataset: ds, resume: true });
  const w = (r: TrainResult) => r.models.generator.getWeights().map((t) => Array.from(t.dataSync()));
  assert.deepEqual(w(r2), w(r1));
  // A second export replaces the first (one state per model, not accumulated).
  await new RunDir(state).exportResumable(`${state}-copy`);
  await new RunDir(run).exportResumable(`${state}-copy`);
  assert.deepEqual(
    listCheckpoints(`${state}-copy`).map((d) => path.basename(d)),
    ['iter-0000002'],
  );
  await assert.rejects(
    new RunDir(tmp()).exportResumable(tmp()),
    (e: Error) => e instanceof UserError && /no complete checkpoint/.test(e.message),
  );
});

test('the manifest records the training data with its sources and licences', async () => {
  await useBackend('cpu');
  const out = tmp();
  const sources = [
    {
      name: 'emoji-openmoji',
      packages: ['openmoji@17.0.0'],
      version: '17.0.0',
      licence: 'CC-BY-SA-4.0',
      attribution: 'All emojis designed by OpenMoji …',
      count: ds.n,
    },
  ];
  await train({ ...TINY, iters: 1, data: 'bars' }, { out, dataset: { ...ds, sources } });
  const m = (await loadGanCheckpoint(out)).manifest;
  assert.deepEqual(m.dataset, {
    name: ds.name,
    split: ds.split,
    n: ds.n,
    size: ds.size,
    channels: ds.channels,
    sources,
  });
  const raw = JSON.parse(fs.readFileSync(path.join(listCheckpoints(out).at(-1)!, 'manifest.json'), 'utf8'));
  assert.equal(raw.dataset.sources[0].licence, 'CC-BY-SA-4.0');
});

test('a new run refuses a folder with checkpoints; resume refuses changed settings', async () => {
  await useBackend('cpu');
  const out = tmp();
  await train({ ...TINY, iters: 1, data: 'bars' }, { out, dataset: ds });
  await assert.rejects(
    train({ ...TINY, iters: 2, data: 'bars' }, { out, dataset: ds }),
    (e: Error) => e instanceof UserError && /--resume/.test(e.message),
  );
  await assert.rejects(
    train({ ...TINY, batch: 8, iters: 2, data: 'bars' }, { out, dataset: ds, resume: true }),
    (e: Error) => e instanceof UserError && /'batch' differs/.test(e.message),
  );
  await assert.rejects(
    train({ iters: 2 }, { out: tmp(), dataset: ds, resume: true }),
    (e: Error) => e instanceof UserError && /no complete checkpoint/.test(e.message),
  );
});

for (const backend of E2E_BACKENDS) {
  test(`[${backend}] divergence (NaN/Inf) stops with the iteration named and keeps the last good checkpoint`, async () => {
    await useBackend(backend);
    const out = tmp();
    await train({ ...TINY, iters: 2, data: 'bars' }, { out, dataset: ds });
    // An absurd learning rate blows the weights up within a few iterations.
    await assert.rejects(
      train({ iters: 40, lr: 1e30 }, { out, dataset: ds, resume: true }),
      (e: Error) => e instanceof UserError && /diverged at iteration \d+.*iter-0000002/.test(e.message),
    );
    assert.deepEqual(
      listCheckpoints(out).map((d) => path.basename(d)),
      ['iter-0000002'],
    );
    assert.equal((await loadGanCheckpoint(out)).manifest.step, 2);
    // The run folder records the divergence (for experiments and GET /api/run) until it is resumed.
    const rec = new RunDir(out).diverged();
    assert.ok(
      rec && rec.iter > 2 && /NaN|Infinity/.test(rec.value) && rec.lastGood.endsWith('iter-0000002'),
      JSON.stringify(rec),
    );
    await train({ iters: 3 }, { out, dataset: ds, resume: true });
    assert.equal(new RunDir(out).diverged(), null);
  });
}

for (const backend of E2E_BACKENDS) {
  test(`[${backend}] kill -9 during training never leaves a half-written checkpoint`, async () => {
    await useBackend(backend);
    const out = tmp();
    const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'main.js');
    const data = path.join(out, 'data');
    // A tiny image folder for the CLI.
    const { encodePng } = await import('../io/image.js');
    fs.mkdirSync(data);
    for (let i = 0; i < 8; i++) {
      const img = {
        data: Float32Array.from(ds.pixels.subarray(i * 784, (i + 1) * 784), (v) => v / 255),
        n: 1,
        height: 28,
        width: 28,
        channels: 1,
      };
      fs.writeFileSync(path.join(data, `${i}.png`), await encodePng(img));
    }
    const run = path.join(out, 'run');
    const child = spawn(
      process.execPath,
      [
        cli,
        'train',
        '--data',
        data,
        '--size',
        '28',
        '--nz',
        '4',
        '--g-width',
        '2',
        '--d-width',
        '2',
        '--batch',
        '4',
        '--n-critic',
        '1',
        '--iters',
        '100000',
        '--checkpoint-every',
        '1',
        '--keep-checkpoints',
        '3',
        '--backend',
        backend,
        '--out',
        run,
      ],
      { stdio: 'ignore', env: { ...process.env, XDG_CACHE_HOME: path.join(out, 'cache') } },
    );
    // Kill at a moment that is very likely inside a checkpoint write (one every iteration).
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (listCheckpoints(run).length >= 2) {
          clearInterval(poll);
          setTimeout(() => {
            child.kill('SIGKILL');
            resolve();
          }, 37);
        }
      }, 20);
    });
    await new Promise((r) => child.once('exit', r));
    const cks = listCheckpoints(run);
    assert.ok(cks.length >= 1);
    for (const d of cks) await loadGanCheckpoint(d); // every listed checkpoint is complete
    // and the run resumes
    const step = JSON.parse(fs.readFileSync(path.join(cks.at(-1)!, 'manifest.json'), 'utf8')).step as number;
    const r = await train({ iters: step + 1 }, { out: run, resume: true });
    assert.equal(r.step, step + 1);
  });
}

test('FD-classifier is logged every fdEvery iterations and plotted', async () => {
  await useBackend(E2E_BACKENDS[0] ?? 'cpu');
  const { buildClassifier } = await import('../classifier/classifier.js');
  const { saveClassifier } = await import('../classifier/classifier_node.js');
  const dir = tmp();
  const clfDir = path.join(dir, 'clf');
  const clf = buildClassifier({ size: 28, channels: 1, classes: 10, width: 2, features: 8, seed: 0 });
  await saveClassifier(clfDir, clf, {
    data: 'fashion-mnist',
    size: 28,
    channels: 1,
    classNames: Array.from({ length: 10 }, (_, i) => String(i)),
    width: 2,
    features: 8,
    epochs: 0,
    batch: 1,
    lr: 0,
    seed: 0,
    trainN: 0,
    testAccuracy: 0,
    testN: 0,
    epochLosses: [],
    trainSeconds: 0,
    backend: 'cpu',
  });
  const out = path.join(dir, 'run');
  // Train on the bars, measure FD against real Fashion-MNIST test images (any real set works here).
  await train(
    { ...TINY, iters: 4, data: 'fashion-mnist', fdEvery: 2, classifier: clfDir, sampleEvery: 4 },
    { out, dataset: { ...ds, name: 'fashion-mnist' } },
  );
  const stats = fs
    .readFileSync(path.join(out, 'stats.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    stats.map((s) => s.fdClassifier !== undefined),
    [false, true, false, true],
  );
  for (const s of stats)
    if (s.fdClassifier !== undefined) assert.ok(Number.isFinite(s.fdClassifier) && s.fdClassifier > 0);
  // Diversity and stability measures at the same iterations.
  for (const s of stats) {
    const at = s.fdClassifier !== undefined;
    for (const k of ['modes', 'klUniform', 'spread', 'spreadRatio', 'collapsed', 'exploding'])
      assert.equal(k in s, at, `${k} at iteration ${s.iter}`);
    if (at) {
      assert.ok(Number.isInteger(s.modes) && s.modes >= 1 && s.modes <= 10);
      assert.ok(s.klUniform >= 0 && s.spread >= 0 && s.spreadRatio >= 0);
      assert.equal(s.collapsed, s.spreadRatio < 0.25);
      assert.equal(s.exploding, false);
    }
  }
  const svg = fs.readFileSync(path.join(out, 'plot.svg'), 'utf8');
  assert.match(svg, /FD-classifier/);
  assert.match(svg, /modes covered/);
  assert.match(svg, /Wasserstein estimate/);
  await assert.rejects(
    train({ ...TINY, iters: 1, data: 'bars', fdEvery: 2 }, { out: tmp(), dataset: ds }),
    (e: Error) => e instanceof UserError && /classifier/.test(e.message),
  );
});

for (const backend of E2E_BACKENDS) {
  test(`[${backend}] mlp with gan and wgan-gp: the checkpoint loads and inpaints through the standard path`, async () => {
    await useBackend(backend);
    for (const loss of ['gan', 'wgan-gp'] as const) {
      const out = tmp();
      const r = await train(
        { ...TINY, model: 'mlp', loss, gWidth: 8, dWidth: 8, iters: 3, data: 'bars' },
        { out, dataset: ds },
      );
      assert.equal(r.step, 3);
      if (loss === 'gan')
        assert.match(
          fs.readFileSync(path.join(out, 'plot.svg'), 'utf8'),
          /discriminator loss.*not a Wasserstein estimate/,
        );
      const ck = await loadGanCheckpoint(out);
      assert.equal(ck.manifest.config.model, 'mlp');
      assert.equal(ck.manifest.config.loss, loss);
      assert.deepEqual(Array.from(sample(ck.generator, 3, 2).data), Array.from(sample(r.models.generator, 3, 2).data));
      const targets = sample(ck.generator, 2, 9);
      await inpaint(ck, targets, makeMask('center', 28, 28), { iters: 1, restarts: 1 }); // warm-up
      const before = tf.memory().numTensors;
      const res = await inpaint(ck, targets, makeMask('center', 28, 28), { iters: 20, restarts: 2, lr: 0.05 });
      assert.equal(tf.memory().numTensors, before, 'tensor leak');
      assert.equal(res.composite.n, 2);
      assert.equal(res.raw.height, 28);
      const c0 = res.history[0]!.contextual,
        c1 = res.history.at(-1)!.contextual;
      assert.ok(c1 < c0, `contextual ${c0} → ${c1}`);
      for (const l of res.losses) assert.ok(Number.isFinite(l.prior));
    }
  });
}
