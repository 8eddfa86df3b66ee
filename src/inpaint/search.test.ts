import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildModels } from '../models/index.js';
import { sample } from '../models/sample.js';
import { makeMask } from '../masks/masks.js';
import { inpaint } from './inpaint.js';
import { latentSearch } from './search.js';
import { importanceWeights } from './weights.js';
import { DEFAULT_INPAINT } from './options.js';
import { stackImages, imageAt } from '../types.js';
import { UserError } from '../util/errors.js';
import { E2E_BACKENDS, useBackend } from '../testing/fixtures.js';

const spec = {
  size: 28 as const,
  channels: 1 as const,
  nz: 8,
  gWidth: 4,
  dWidth: 4,
  criticNorm: 'layer' as const,
  seed: 1,
};
const model = buildModels('dcgan', spec);
// Targets the generator can represent: its own samples (so a good search can fit them closely).
const targets = sample(model.generator, 3, 42);
const mask = makeMask('center', 28, 28);

for (const backend of E2E_BACKENDS)
  test(`[${backend}] the contextual loss falls over the search, and known pixels are kept`, async () => {
    await useBackend(backend);
    // Warm-up: the first call may create lasting caches inside TF.js layers; later calls must not grow.
    await inpaint(model, targets, mask, { iters: 1, restarts: 1 });
    const before = tf.memory().numTensors;
    const r = await inpaint(model, targets, mask, { iters: 30, restarts: 2, lr: 0.05 });
    assert.equal(tf.memory().numTensors, before, 'tensor leak');
    const first = r.history[0]!.contextual,
      last = r.history.at(-1)!.contextual;
    assert.ok(last < 0.8 * first, `contextual ${first} → ${last}`);
    for (let i = 0; i < r.composite.data.length; i++) {
      const p = i % (28 * 28);
      if (mask.data[p] === 1) assert.equal(r.composite.data[i], targets.data[i]);
      else assert.equal(r.composite.data[i], r.raw.data[i]);
    }
    assert.equal(r.losses.length, 3);
    for (const l of r.losses) assert.ok(Math.abs(l.total - (l.contextual + DEFAULT_INPAINT.lambda * l.prior)) < 1e-4);
  });

for (const backend of E2E_BACKENDS)
  test(`[${backend}] an image completes the same alone as inside a batch, and the same for a seed`, async () => {
    await useBackend(backend);
    const masks = [makeMask('center', 28, 28), makeMask('left', 28, 28), makeMask('random', 28, 28, { seed: 3 })];
    const opts = { iters: 8, restarts: 3, seed: 5 };
    const batch = await inpaint(model, targets, masks, opts);
    const alone = await inpaint(model, imageAt(targets, 1), masks[1]!, opts);
    const again = await inpaint(model, imageAt(targets, 1), masks[1]!, opts);
    const s = 28 * 28;
    let maxDiff = 0;
    for (let j = 0; j < s; j++) maxDiff = Math.max(maxDiff, Math.abs(alone.raw.data[j]! - batch.raw.data[s + j]!));
    assert.ok(maxDiff < 1e-5, `alone vs batch differ by ${maxDiff}`);
    assert.deepEqual(Array.from(alone.raw.data), Array.from(again.raw.data));
    assert.equal(alone.losses[0]!.restart, batch.losses[1]!.restart);
  });

test('snapshots are recorded every progressEvery iterations', async () => {
  const r = await inpaint(model, imageAt(targets, 0), mask, { iters: 6, restarts: 1, progressEvery: 2 });
  assert.deepEqual(
    r.snapshots.map((s) => s.iter),
    [0, 2, 4, 6],
  );
});

test('readEvery: losses are read back only every N iterations, and z, the fill and the losses are the same', async () => {
  // Count every read of a tensor's values (dataSync / data / arraySync all end in one of the engine's reads).
  const engine = tf.engine() as unknown as { readSync(id: object): unknown; read(id: object): Promise<unknown> };
  const [origSync, orig] = [engine.readSync.bind(engine), engine.read.bind(engine)];
  let reads = 0;
  engine.readSync = (id: object) => {
    reads++;
    return origSync(id);
  };
  engine.read = (id: object) => {
    reads++;
    return orig(id);
  };
  const run = async (readEvery: number) => {
    reads = 0;
    const r = await latentSearch(model, targets, mask, { iters: 30, restarts: 3, lr: 0.05, readEvery });
    return { r, reads };
  };
  try {
    const every = await run(1),
      sparse = await run(10);
    assert.deepEqual(Array.from(sparse.r.z), Array.from(every.r.z));
    assert.deepEqual(Array.from(sparse.r.raw.data), Array.from(every.r.raw.data));
    assert.deepEqual(sparse.r.losses, every.r.losses);
    assert.deepEqual(
      sparse.r.history.map((h) => h.iter),
      [0, 10, 20, 30],
    );
    assert.deepEqual(
      sparse.r.history,
      every.r.history.filter((h) => h.iter % 10 === 0),
    );
    // Per iteration: 2 reads (contextual, prior) with readEvery 1; here 3 reads × 2 + the final ones.
    assert.ok(every.reads >= 60, `readEvery 1: ${every.reads} reads`);
    assert.ok(sparse.reads <= 12, `readEvery 10: ${sparse.reads} reads`);
  } finally {
    engine.readSync = origSync;
    engine.read = orig;
  }
});

test('mismatched shapes are rejected with a clear UserError', async () => {
  await assert.rejects(
    inpaint(model, targets, makeMask('center', 32, 32)),
    (e: Error) => e instanceof UserError && /mask 32x32 does not match image 28x28/.test(e.message),
  );
  const rgb = stackImages([{ data: new Float32Array(28 * 28 * 3), n: 1, height: 28, width: 28, channels: 3 }]);
  // The search itself takes the model's channels only; `inpaint` converts (as the CLI does) and says so.
  await assert.rejects(
    latentSearch(model, rgb, mask),
    (e: Error) => e instanceof UserError && /3 channel/.test(e.message),
  );
  const notices: string[] = [];
  const conv = await inpaint(model, rgb, mask, { iters: 1, restarts: 1 }, { onNotice: (m) => notices.push(m) });
  assert.equal(conv.raw.channels, 1);
  assert.match(notices.join('\n'), /converted to the model's grey/);
  await assert.rejects(
    inpaint(model, targets, [mask]),
    (e: Error) => e instanceof UserError && /1 masks for 3 images/.test(e.message),
  );
  await assert.rejects(inpaint(model, targets, mask, { restarts: 0 }), /restarts/);
});

test('a NaN or infinite loss stops that image with a clear error; the other images complete', async () => {
  // Image 1 carries a NaN pixel among its known pixels: its contextual loss is NaN from iteration 0.
  const bad = { ...targets, data: Float32Array.from(targets.data) };
  bad.data[28 * 28 + 0] = NaN;
  const r = await latentSearch(model, bad, mask, { iters: 5, restarts: 2 });
  assert.equal(r.errors[0], null);
  assert.match(r.errors[1] ?? '', /^the search's loss became NaN at iteration 0 \(restart 0: contextual NaN/);
  assert.equal(r.errors[2], null);
  for (const i of [0, 2]) assert.ok(Number.isFinite(r.losses[i]!.total));
  for (const h of r.history) assert.ok(Number.isFinite(h.contextual), 'the progress means leave the stopped image out');
  // The same images alone: unaffected by the stopped one (each image's loss is its own).
  const alone = await latentSearch(model, imageAt(targets, 2), mask, { iters: 5, restarts: 2 });
  const other = imageAt(r.raw, 2).data;
  let maxDiff = 0;
  for (let j = 0; j < other.length; j++) maxDiff = Math.max(maxDiff, Math.abs(alone.raw.data[j]! - other[j]!));
  assert.ok(maxDiff < 1e-5, `alone vs beside a stopped image differ by ${maxDiff}`);
  // inpaint() (one image, the server's and the page's path) turns it into one UserError line.
  await assert.rejects(
    inpaint(model, imageAt(bad, 1), mask, { iters: 3, restarts: 1 }),
    (e: Error) =>
      e instanceof UserError && /loss became NaN at iteration 0/.test(e.message) && !e.message.includes('\n'),
  );
  // All images stopped: the search ends at once instead of running its iterations.
  let last = -1;
  const all = await latentSearch(
    model,
    imageAt(bad, 1),
    mask,
    { iters: 1000, restarts: 1 },
    { onProgress: (p) => (last = p.iter) },
  );
  assert.equal(last, -1, 'no progress is reported for a stopped image');
  assert.ok(all.errors[0]);
});

test('contextFloor reaches the contextual loss: Σ max(floor, w) · |G(z) − y| over known pixels, by hand', async () => {
  const left = makeMask('left', 28, 28);
  for (const floor of [0, 0.1]) {
    // iters 0: the losses are those of the starting z, and raw is G(z) there.
    const r = await latentSearch(model, imageAt(targets, 0), left, { iters: 0, restarts: 1, contextFloor: floor });
    const w = importanceWeights(left, DEFAULT_INPAINT.window, floor);
    let want = 0;
    // G and y in [−1, 1]: |(2g − 1) − (2y − 1)| = 2|g − y|.
    for (let p = 0; p < 28 * 28; p++) want += w[p]! * 2 * Math.abs(r.raw.data[p]! - targets.data[p]!);
    assert.ok(
      Math.abs(r.losses[0]!.contextual - want) < 1e-3 * want,
      `floor ${floor}: ${r.losses[0]!.contextual} vs ${want}`,
    );
  }
});

test('a progress callback that throws mid-search stops it without leaking tensors', async () => {
  await useBackend('cpu');
  const before = tf.memory().numTensors;
  await assert.rejects(
    latentSearch(
      model,
      targets,
      mask,
      { iters: 30, restarts: 2, init: 'random', progressEvery: 5 },
      {
        onProgress: (p) => {
          if (p.iter >= 10) throw new Error('listener failed');
        },
      },
    ),
    /listener failed/,
  );
  assert.equal(tf.memory().numTensors, before, 'tensor leak after a throwing callback');
});
