import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import type { ImageBatch } from '../types.js';
import { buildModels, disposeModel } from '../models/index.js';
import { makeMask } from '../masks/masks.js';
import { buildClassifier, predictClasses } from '../classifier/classifier.js';
import { attributeAccuracy } from '../metrics/attributes.js';
import { fdClassifierImages } from '../classifier/fd.js';
import {
  DEFAULT_EVAL,
  criticMean,
  ENCODER_METHOD_KINDS,
  EVAL_METHOD_KINDS,
  evalMasks,
  evaluate,
  maskSeed,
  pairedDiff,
  plannedSearches,
  resolveEvalOptions,
  selectEvalIndices,
  stat,
} from './runner.js';
import { UserError } from '../util/errors.js';
import { indexMarkdown, type ReportContext } from './report.js';

const close = (a: number, b: number, tol: number, what: string): void =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

/** A deterministic 28×28 grey batch with structure (so baselines differ): smooth ramps + a blob. */
function images(n: number): ImageBatch {
  const h = 28,
    w = 28,
    data = new Float32Array(n * h * w);
  for (let i = 0; i < n; i++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        data[(i * h + y) * w + x] = 0.5 + 0.4 * Math.sin((x + 3 * i) / 5) * Math.cos(y / 7);
      }
  return { data, n, height: h, width: w, channels: 1 };
}

test('stat: mean and standard error by hand; +Infinity capped at 100 dB, NaN skipped', () => {
  const a = stat([1, 2, 3]);
  close(a.mean, 2, 1e-12, 'mean');
  close(a.se, 1 / Math.sqrt(3), 1e-12, 'se'); // sd = 1, n = 3
  const b = stat([Infinity, 90, NaN]);
  close(b.mean, 95, 1e-12, 'capped mean');
  close(b.se, 5, 1e-12, 'capped se'); // sd of {100, 90} = 7.071…, /√2 = 5
  assert.ok(Number.isNaN(stat([4]).se));
});

test('pairedDiff: per-image differences by hand; capped at 100 dB, NaN pairs skipped, ties count ½', () => {
  const { diff, better } = pairedDiff([3, 5, Infinity, NaN], [1, 5, 90, 2]);
  // Differences 2, 0, 10 (100 − 90): mean 4, sd √28, s.e. √(28/3).
  close(diff.mean, 4, 1e-12, 'mean');
  close(diff.se, Math.sqrt(28 / 3), 1e-12, 'se');
  close(better, 2.5 / 3, 1e-12, 'better');
  assert.throws(() => pairedDiff([1], [1, 2]), /1 vs 2 values/);
});

test('selectEvalIndices: seeded, distinct, ascending; all images when n ≥ total', () => {
  const a = selectEvalIndices(100, 10, 3);
  assert.equal(a.length, 10);
  assert.deepEqual(
    [...a],
    [...a].sort((x, y) => x - y),
  );
  assert.equal(new Set(a).size, 10);
  assert.deepEqual([...a], [...selectEvalIndices(100, 10, 3)]);
  assert.notDeepEqual([...a], [...selectEvalIndices(100, 10, 4)]);
  assert.deepEqual([...selectEvalIndices(5, 9, 0)], [0, 1, 2, 3, 4]);
});

test('plannedSearches runs each distinct (λ, K, iterations, start) once', () => {
  const base = DEFAULT_EVAL.methods;
  assert.deepEqual(
    base,
    EVAL_METHOD_KINDS.filter((k) => !ENCODER_METHOD_KINDS.includes(k)),
    'the default leaves out the encoder methods',
  );
  const all = plannedSearches({ methods: base, lambda: 0.003, restarts: 4, iters: 50 });
  const r = (lambda: number, restarts: number, iters = 50) => ({ lambda, restarts, iters, init: 'random' });
  assert.deepEqual([...all.values()], [r(0.003, 4), r(0, 4), r(0.003, 1)]);
  // λ = 0 makes wgan and wgan-lambda0 the same search; K = 1 makes wgan-1restart the same too.
  assert.equal(plannedSearches({ methods: base, lambda: 0, restarts: 4 }).size, 2);
  assert.equal(plannedSearches({ methods: base, lambda: 0.01, restarts: 1 }).size, 2);
  // The encoder methods: their own iterations and restarts, started at the encoder's z.
  const enc = plannedSearches({
    methods: ['wgan', ...ENCODER_METHOD_KINDS],
    lambda: 0.01,
    restarts: 4,
    iters: 1000,
    encoderIters: 70,
    encoderRestarts: 3,
  });
  assert.deepEqual(
    [...enc.values()],
    [
      r(0.01, 4, 1000),
      { lambda: 0.01, restarts: 1, iters: 0, init: 'encoder' },
      { lambda: 0.01, restarts: 3, iters: 70, init: 'encoder' },
      // the prior's ablation on the default path: the encoder's search at λ = 0
      { lambda: 0, restarts: 3, iters: 70, init: 'encoder' },
      // the refinement methods: the encoder's search, then refined (a search of their own)
      { lambda: 0.01, restarts: 3, iters: 70, init: 'encoder', refine: 'features' },
      { lambda: 0.01, restarts: 3, iters: 70, init: 'encoder', refine: 'generator' },
      // refined from the encoder's z itself (no search), with its own depth and learning rate
      { lambda: 0.01, restarts: 3, iters: 0, init: 'encoder', refine: 'generator', refineDepth: 3, refineLr: 0.001 },
      { lambda: 0.01, restarts: 3, iters: 70, init: 'encoder', refine: 'modulation' },
    ],
  );
  assert.ok(
    [...enc.keys()].some((k) => k.endsWith('iters=0,init=encoder,refine=generator,depth=3,refineLr=0.001')),
    [...enc.keys()].join('; '),
  );
  assert.equal(plannedSearches({ methods: ['zero', 'telea'], lambda: 0.01, restarts: 4 }).size, 0);
});

test('resolveEvalOptions rejects unknown kinds and duplicates with a UserError', () => {
  assert.throws(
    () => resolveEvalOptions({ methods: ['wgan', 'magic'] }),
    (e: unknown) => e instanceof UserError && /unknown eval method 'magic'/.test(e.message),
  );
  assert.throws(
    () => resolveEvalOptions({ masks: ['nope'] }),
    (e: unknown) => e instanceof UserError && /mask kind 'nope'/.test(e.message),
  );
  assert.throws(() => resolveEvalOptions({ masks: ['center', 'center'] }), UserError);
  assert.throws(() => resolveEvalOptions({ restarts: 0 }), UserError);
});

// Three classes read as two attributes (as faces' four classes are glasses + 2 × facial hair).
const ATTRS = [
  { name: 'odd', values: ['no', 'yes'], ofClass: [0, 1, 0] },
  { name: 'two', values: ['no', 'yes'], ofClass: [0, 0, 1] },
];

test('evaluate: every cell finite, same masks for every method, known pixels kept, no tensor leak', async () => {
  const model = buildModels('dcgan', {
    size: 28,
    channels: 1,
    nz: 8,
    gWidth: 4,
    dWidth: 4,
    criticNorm: 'layer',
    seed: 1,
  });
  const classifier = buildClassifier({ size: 28, channels: 1, classes: 3, width: 2, features: 4, seed: 0 });
  const y = images(2);
  const masks = ['center', 'random', 'half', 'pattern'];
  try {
    const before = tf.memory().numTensors;
    const r = await evaluate(
      {
        model,
        images: y,
        labels: Int32Array.from([0, 2]),
        classifier,
        fd: { real: images(3), n: 3, seed: 0 },
        attributes: ATTRS,
      },
      { masks, iters: 3, restarts: 2, seed: 5, batch: 1 },
    );
    assert.equal(tf.memory().numTensors, before, 'tensors leaked');
    assert.deepEqual(Object.keys(r.cells), masks);
    for (const kind of masks) {
      // The masks are the seeded ones, image by image (center: the 14×14 centred square of 28×28).
      r.masks[kind]!.forEach((m, i) => {
        assert.deepEqual(m.data, makeMask(kind, 28, 28, { seed: maskSeed(5, i) }).data);
      });
      assert.deepEqual(Object.keys(r.cells[kind]!), [...DEFAULT_EVAL.methods]);
      for (const method of DEFAULT_EVAL.methods) {
        const c = r.cells[kind]![method]!;
        for (const v of [c.psnr.mean, c.ssim.mean, c.holeL1.mean, c.holePsnr.mean, c.secondsPerImage, c.accuracy!])
          assert.ok(Number.isFinite(v), `${kind}/${method}: ${JSON.stringify(c)}`);
        assert.equal(c.n, 2);
        // Every method keeps the known pixels of the input exactly (they are composites).
        const out = r.outputs[kind]![method]!;
        assert.equal(out.data.length, y.data.length);
        r.masks[kind]!.forEach((m, i) => {
          for (let p = 0; p < 28 * 28; p++)
            if (m.data[p] === 1)
              assert.equal(out.data[i * 784 + p], y.data[i * 784 + p], `${kind}/${method} image ${i} pixel ${p}`);
        });
      }
      // Paired with the first method: absent on it; on the others the mean difference equals the
      // difference of the means (no NaN here), and the fraction of images won is a fraction.
      const ref = DEFAULT_EVAL.methods[0]!,
        rc = r.cells[kind]![ref]!;
      assert.equal(rc.paired, undefined);
      for (const method of DEFAULT_EVAL.methods.slice(1)) {
        const p = r.cells[kind]![method]!.paired!;
        assert.equal(p.reference, ref);
        close(
          p.holePsnr.mean,
          r.cells[kind]![method]!.holePsnr.mean - rc.holePsnr.mean,
          1e-9,
          `${kind}/${method} paired hole PSNR`,
        );
        close(p.ssim.mean, r.cells[kind]![method]!.ssim.mean - rc.ssim.mean, 1e-9, `${kind}/${method} paired SSIM`);
        assert.ok(p.better >= 0 && p.better <= 1);
      }
      // zero fills the hole with 0: its hole L1 is the mean of the originals over the hole.
      let sum = 0,
        cnt = 0;
      r.masks[kind]!.forEach((m, i) => {
        let s = 0,
          c = 0;
        for (let p = 0; p < 784; p++)
          if (m.data[p] === 0) {
            s += y.data[i * 784 + p]!;
            c++;
          }
        sum += s / c;
        cnt++;
      });
      close(r.cells[kind]!.zero!.holeL1.mean, sum / cnt, 1e-6, `${kind} zero hole L1`);
      // Realism: the critic's mean score of each method's outputs, and the FD of their features to the originals.
      for (const method of DEFAULT_EVAL.methods) {
        const c = r.cells[kind]![method]!;
        close(c.critic, criticMean(model.critic, r.outputs[kind]![method]!), 1e-5, `${kind}/${method} critic`);
        assert.ok(c.fdCompleted !== null && c.fdCompleted >= 0, `${kind}/${method} fdCompleted ${c.fdCompleted}`);
      }
      assert.ok(r.maskedAccuracy[kind] !== null);
      // Per attribute: the same predictions read through each attribute; agreeing on the class implies
      // agreeing on every attribute, so no attribute is below the class accuracy.
      for (const method of DEFAULT_EVAL.methods) {
        const c = r.cells[kind]![method]!;
        const want = attributeAccuracy(predictClasses(classifier, r.outputs[kind]![method]!), [0, 2], ATTRS);
        assert.deepEqual(c.attributeAccuracy, want, `${kind}/${method} attribute accuracy`);
        for (const a of ATTRS) assert.ok(want[a.name]! >= c.accuracy!, `${kind}/${method} ${a.name}`);
      }
      assert.deepEqual(
        r.maskedAttributeAccuracy[kind],
        attributeAccuracy(predictClasses(classifier, r.masked[kind]!), [0, 2], ATTRS),
      );
    }
    // center: hole of 196 of 784 pixels exactly.
    close(r.holeFraction.center!, 0.25, 1e-12, 'center hole fraction');
    assert.equal(r.searches.length, masks.length * 3);
    assert.ok(r.fdClassifier && Number.isFinite(r.fdClassifier.value) && r.fdClassifier.value >= 0);
    assert.ok(r.originalAccuracy !== null && r.originalAccuracy >= 0 && r.originalAccuracy <= 1);
    close(r.originalCritic, criticMean(model.critic, y), 1e-6, "originals' critic score");
    // The originals against themselves are at FD 0: a method that returned the input would score 0.
    assert.ok(fdClassifierImages(classifier, y, y) < 1e-6);
    // The report's attribute table: one row per mask kind × (masked input, each method), each value with
    // its share of the originals'.
    const md = indexMarkdown(r, {
      command: 'eval',
      model: { dir: 'm', step: 0, config: {} },
      gridRows: 1,
      seconds: 1,
      data: { name: 'test', split: 'test', size: 28, channels: 1, available: 2, indices: [0, 1], labelled: true },
      versions: { library: '0', tfjs: '0', node: '0', backend: 'cpu' },
      classifier: { dir: 'c', testAccuracy: 1, data: 'test', testN: 2 },
    });
    assert.ok(md.includes('| mask | images | odd | two |'), md);
    const o = r.originalAttributeAccuracy!,
      w = r.cells.center!.wgan!.attributeAccuracy!;
    assert.ok(
      md.includes(
        `|  | \`wgan\` | ${(w.odd! * 100).toFixed(1)} % (${((w.odd! / o.odd!) * 100).toFixed(0)} %) | ${(w.two! * 100).toFixed(1)} %`,
      ),
      md,
    );
  } finally {
    disposeModel(model);
    classifier.dispose();
  }
});

test('evalMasks: center is the same square for every image; random differs per image', () => {
  const m = evalMasks('center', 2, 8, 8, 0);
  assert.deepEqual(m[0]!.data, m[1]!.data);
  let holes = 0;
  for (let y = 0; y < 8; y++)
    for (let x = 0; x < 8; x++) {
      const v = m[0]!.data[y * 8 + x];
      assert.equal(v, y >= 2 && y < 6 && x >= 2 && x < 6 ? 0 : 1);
      holes += 1 - v!;
    }
  assert.equal(holes, 16);
  const r = evalMasks('random', 2, 8, 8, 0);
  assert.notDeepEqual(r[0]!.data, r[1]!.data);
});

test('evaluate: `exact` counts the images whose hole a method reproduced exactly (hole PSNR +∞)', async () => {
  const model = buildModels('dcgan', {
    size: 28,
    channels: 1,
    nz: 8,
    gWidth: 4,
    dWidth: 4,
    criticNorm: 'layer',
    seed: 1,
  });
  // Image 0 is flat (0.3 everywhere): `mean` and `nearest` refill its hole exactly, `zero` does not.
  // Images 1 and 2 have structure: no baseline reproduces them.
  const y = images(3);
  y.data.fill(0.3, 0, 784);
  try {
    const r = await evaluate(
      { model, images: y },
      { masks: ['center'], methods: ['zero', 'mean', 'nearest'], iters: 1, restarts: 1, batch: 1 },
    );
    const c = r.cells.center!;
    assert.deepEqual([c.zero!.exact, c.mean!.exact, c.nearest!.exact], [0, 1, 1]);
    // The exact image counts as 100 dB in the mean, so it lifts `mean` well above its other images.
    assert.ok(c.mean!.holePsnr.mean > 100 / 3, `mean hole PSNR ${c.mean!.holePsnr.mean}`);
    // The report names them, with the lift of the mean: 1 × (100 − mean) / 3 dB.
    const ctx: ReportContext = {
      command: 'eval',
      model: { dir: 'm', step: 0, config: {} },
      gridRows: 1,
      seconds: 1,
      data: { name: 'test', split: 'test', size: 28, channels: 1, available: 3, indices: [0, 1, 2], labelled: false },
      versions: { library: '0', tfjs: '0', node: '0', backend: 'cpu' },
    };
    const md = indexMarkdown(r, ctx);
    const lift = ((100 - c.mean!.holePsnr.mean) / 3).toFixed(2);
    assert.ok(md.includes(`\`mean\` 1 of 3 images (about +${lift} dB of its mean hole PSNR), \`nearest\` 1 of 3`), md);
    assert.ok(!md.includes('`zero` 0 of'), 'methods without exact fills are not listed');
  } finally {
    disposeModel(model);
  }
});

test('evaluate: contextFloor reaches every search (a half mask completes differently) and is recorded', async () => {
  const model = buildModels('dcgan', {
    size: 28,
    channels: 1,
    nz: 8,
    gWidth: 4,
    dWidth: 4,
    criticNorm: 'layer',
    seed: 1,
  });
  const y = images(2);
  try {
    const run = (contextFloor: number) =>
      evaluate(
        { model, images: y },
        { masks: ['half'], methods: ['wgan', 'wgan-lambda0'], iters: 5, restarts: 1, lr: 0.05, batch: 2, contextFloor },
      );
    const [a, b] = [await run(0), await run(0.3)];
    assert.equal(b.options.contextFloor, 0.3);
    for (const m of ['wgan', 'wgan-lambda0']) {
      assert.notDeepEqual(
        Array.from(a.outputs.half![m]!.data),
        Array.from(b.outputs.half![m]!.data),
        `${m}: the floor changed nothing`,
      );
    }
    assert.throws(() => resolveEvalOptions({ contextFloor: 2 }), UserError);
  } finally {
    disposeModel(model);
  }
});
