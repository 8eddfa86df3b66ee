import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildModels } from '../models/index.js';
import { saveCheckpoint } from '../train/checkpoint.js';
import { resolveConfig } from '../config/config.js';
import { buildClassifier } from '../classifier/classifier.js';
import { saveClassifier } from '../classifier/classifier_node.js';
import { FASHION_MNIST_CLASSES } from '../data/registry.js';
import { readImage } from '../io/image.js';
import { main } from '../cli/run.js';
import { DEFAULT_EVAL } from './runner.js';
import { UserError } from '../util/errors.js';

type T = { mock: { method: (o: object, m: string, f: (...a: unknown[]) => unknown) => unknown } };
function quiet(t: T): void {
  t.mock.method(console, 'log', () => {});
  t.mock.method(console, 'warn', () => {});
  t.mock.method(process.stderr, 'write', () => true);
}

/** A random (untrained) tiny model saved as a run folder, with an untrained classifier beside it. */
async function tinyRun(dir: string): Promise<string> {
  const config = resolveConfig({ data: 'fashion-mnist', size: 28, channels: 1, nz: 8, gWidth: 4, dWidth: 4 });
  const m = buildModels('dcgan', { ...config });
  const run = path.join(dir, 'run');
  await saveCheckpoint(path.join(run, 'checkpoints', 'iter-0000007'), {
    ...m,
    manifest: { step: 7, seed: 0, config, command: 'wgan-inpaint train --tiny' },
  });
  const clf = buildClassifier({ size: 28, channels: 1, classes: 10, width: 2, features: 4, seed: 0 });
  await saveClassifier(path.join(run, 'classifier'), clf, {
    data: 'fashion-mnist',
    size: 28,
    channels: 1,
    classNames: FASHION_MNIST_CLASSES,
    width: 2,
    features: 4,
    epochs: 0,
    batch: 1,
    lr: 1e-3,
    seed: 0,
    trainN: 0,
    testAccuracy: 0.1,
    testN: 0,
    epochLosses: [],
    trainSeconds: 0,
    backend: 'cpu',
  });
  for (const x of [m.generator, m.critic, clf]) x.dispose();
  return run;
}

test('eval CLI on a tiny random model: results.json has every (mask, method) cell, index.md names the command', async (t) => {
  quiet(t);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-eval-'));
  try {
    const run = await tinyRun(dir);
    const out = path.join(dir, 'eval');
    const argv = [
      'eval',
      '--model',
      run,
      '--data',
      'fashion-mnist',
      '--limit',
      '20',
      '--n',
      '2',
      '--iters',
      '3',
      '--fd-n',
      '5',
      '--out',
      out,
      '--backend',
      'cpu',
    ];
    assert.equal(await main(argv), 0);
    const r = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
    const masks = ['center', 'random', 'half', 'pattern'];
    assert.deepEqual(Object.keys(r.results), masks);
    for (const k of masks) {
      // `all` without an encoder: every method but the encoder ones.
      assert.deepEqual(Object.keys(r.results[k]), [...DEFAULT_EVAL.methods]);
      for (const m of DEFAULT_EVAL.methods) {
        const c = r.results[k][m];
        for (const v of [c.psnr.mean, c.ssim.mean, c.holeL1.mean, c.holePsnr.mean, c.secondsPerImage, c.accuracy]) {
          assert.equal(typeof v, 'number', `${k}/${m}`);
          assert.ok(Number.isFinite(v), `${k}/${m}`);
        }
        assert.equal(c.n, 2);
        // Paired with the first method listed: every other cell, as { mean, se } and a fraction.
        if (m === DEFAULT_EVAL.methods[0]) assert.equal(c.paired, undefined);
        else
          assert.ok(
            c.paired.reference === DEFAULT_EVAL.methods[0] &&
              Number.isFinite(c.paired.holePsnr.mean) &&
              Number.isFinite(c.paired.better),
            `${k}/${m} paired`,
          );
      }
      const grid = await readImage(path.join(out, `grid-${k}.png`));
      // 2 rows × (original, masked, 8 methods) tiles of 28·3 = 84 px with 2-px gaps.
      assert.equal(grid.width, 10 * 84 + 11 * 2);
      assert.equal(grid.height, 2 * 84 + 3 * 2);
    }
    assert.equal(r.model.step, 7);
    assert.equal(r.model.command, 'wgan-inpaint train --tiny');
    assert.equal(r.data.split, 'test');
    assert.equal(r.data.available, 20);
    assert.equal(r.data.indices.length, 2);
    assert.equal(r.versions.backend, 'cpu');
    assert.equal(r.versions.tfjs, '4.22.0');
    assert.equal(r.semantic.classifier.dir, path.join(run, 'classifier'), 'default classifier location');
    assert.ok(Number.isFinite(r.semantic.originalAccuracy));
    assert.ok(Number.isFinite(r.fdClassifier.value) && r.fdClassifier.samples === 5);
    const md = fs.readFileSync(path.join(out, 'index.md'), 'utf8');
    const cmd = `wgan-inpaint eval --model ${run} --data fashion-mnist --limit 20 --n 2 --iters 3 --fd-n 5 --out ${out} --backend cpu`;
    assert.ok(md.includes(`\`\`\`\n${cmd}\n\`\`\``), 'the exact command');
    assert.equal(r.command, cmd);
    assert.match(md, /wgan-inpaint train --tiny/);
    assert.match(md, /FD-classifier/);
    assert.ok(
      md.includes(`| Δ hole PSNR vs \`${DEFAULT_EVAL.methods[0]}\` | Δ SSIM | images better |`),
      'paired columns',
    );
    for (const k of masks) assert.ok(md.includes(`(grid-${k}.png)`));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('eval CLI: missing --model, unknown method and bad --n are one-line UserErrors', async (t) => {
  quiet(t);
  await assert.rejects(
    main(['eval', '--out', '/tmp/x']),
    (e: unknown) => e instanceof UserError && /--model/.test(e.message),
  );
  await assert.rejects(
    main(['eval', '--model', 'x', '--out', '/tmp/x', '--methods', 'wgan,nope']),
    (e: unknown) => e instanceof UserError && /unknown eval method 'nope'/.test(e.message),
  );
  await assert.rejects(
    main(['eval', '--model', 'x', '--out', '/tmp/x', '--n', '0']),
    (e: unknown) => e instanceof UserError && /--n/.test(e.message),
  );
});
