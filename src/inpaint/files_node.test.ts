/**
 * `inpaintFiles` as a library call: the same folders and bytes as the `inpaint` command, bad input
 * refused before the model is used, and what a failed search leaves.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { inpaintFiles, prepareInpaintFiles } from './files_node.js';
import { main } from '../cli/run.js';
import { buildModels, disposeModel } from '../models/index.js';
import { saveCheckpoint, type Checkpoint } from '../train/checkpoint.js';
import { loadCheckpoint } from '../encoder/checkpoint.js';
import { resolveConfig } from '../config/config.js';
import { encodePng } from '../io/image.js';
import { UserError } from '../util/errors.js';
import { testBackend } from '../testing/fixtures.js';

let d = '';
let ck: Checkpoint;
let input = '';

const grey = (h: number, w: number, v: number) => ({
  data: new Float32Array(h * w).map((_, i) => (v + (i % 7) * 0.05) % 1),
  n: 1,
  height: h,
  width: w,
  channels: 1,
});

before(async () => {
  await testBackend();
  d = fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-files-'));
  const config = resolveConfig({ size: 28, channels: 1, nz: 4, gWidth: 2, dWidth: 2 });
  const m = buildModels('dcgan', { ...config });
  await saveCheckpoint(path.join(d, 'model'), { ...m, manifest: { step: 0, seed: 0, config } });
  disposeModel(m);
  ck = await loadCheckpoint(path.join(d, 'model'));
  input = path.join(d, 'in');
  fs.mkdirSync(path.join(input, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(input, 'a.png'), await encodePng(grey(28, 28, 0.2)));
  fs.writeFileSync(path.join(input, 'sub', 'b.png'), await encodePng(grey(40, 30, 0.6)));
});
after(() => {
  disposeModel(ck);
  fs.rmSync(d, { recursive: true, force: true });
});

const options = { iters: 3, restarts: 2, seed: 5 };

function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || e.name === 'summary.json') continue;
    const p = path.join(e.parentPath ?? e.path, e.name);
    out[path.relative(dir, p)] = fs.readFileSync(p).toString('base64');
  }
  return out;
}

test('inpaintFiles writes one folder per image and a summary, byte-identical to the inpaint command', async () => {
  const lib = path.join(d, 'out-lib');
  const lines: string[] = [];
  const s = await inpaintFiles(
    ck,
    { input, mask: 'center', out: lib, options },
    { log: (l) => lines.push(l), modelName: 'tiny' },
  );
  assert.equal(s.written, 2);
  assert.equal(s.failed, 0);
  assert.deepEqual(
    s.images.map((i) => i.output),
    ['a', 'b'],
  );
  assert.equal(s.images[1]!.resized, true);
  assert.ok(
    s.images.every((i) => i.losses && Number.isFinite(i.losses.contextual)),
    JSON.stringify(s.images),
  );
  const summary = JSON.parse(fs.readFileSync(path.join(lib, 'summary.json'), 'utf8'));
  assert.equal(summary.model, 'tiny');
  assert.equal(summary.options.restarts, 2);
  assert.equal(summary.images.length, 2);

  const cli = path.join(d, 'out-cli');
  const code = await main([
    'inpaint',
    '--model',
    path.join(d, 'model'),
    '--input',
    input,
    '--mask',
    'center',
    '--out',
    cli,
    '--iters',
    '3',
    '--restarts',
    '2',
    '--seed',
    '5',
  ]);
  assert.equal(code, 0);
  const a = tree(lib),
    b = tree(cli);
  assert.ok(Object.keys(a).length >= 14, Object.keys(a).join(','));
  assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort());
  for (const k of Object.keys(a)) assert.equal(a[k], b[k], `${k} differs between the library and the CLI`);
});

test('prepareInpaintFiles refuses bad input with one line before anything is computed or written', async () => {
  const out = path.join(d, 'never');
  for (const [spec, re] of [
    [{ input: path.join(d, 'missing'), mask: 'center', out }, /input '.*missing' does not exist/],
    [{ input, mask: 'no-such-kind', out }, /--mask 'no-such-kind' is neither a mask kind/],
    [{ input, mask: 'center', out, options: { restarts: 1000 } }, /restarts must be ≤ 64/],
    [{ input, mask: 'center', out, maxPixels: 100 }, /pixels/],
  ] as const) {
    await assert.rejects(
      prepareInpaintFiles(spec),
      (e: Error) => e instanceof UserError && re.test(e.message) && !e.message.includes('\n'),
      String(re),
    );
  }
  assert.ok(!fs.existsSync(out));
});

test('a model whose search is all NaN: inpaintFiles throws and writes nothing', async () => {
  const config = resolveConfig({ size: 28, channels: 1, nz: 4, gWidth: 2, dWidth: 2 });
  const m = buildModels('dcgan', { ...config });
  const nan = m.generator.getWeights().map((t) => tf.fill(t.shape, NaN));
  m.generator.setWeights(nan);
  tf.dispose(nan);
  const out = path.join(d, 'out-nan');
  await assert.rejects(
    inpaintFiles(m, { input, mask: 'center', out, options }),
    (e: Error) => e instanceof UserError && /non-finite|NaN/i.test(e.message),
  );
  assert.ok(!fs.existsSync(out));
  disposeModel(m);
});
