import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { runBatch, type BatchSpec } from './batch.js';
import { makeQueueFixture, readTree } from '../testing/queue_fixture.js';
import { resolveInpaintOptions } from '../inpaint/options.js';
import { encodePng } from '../io/image.js';
import { main } from '../cli/run.js';
import { UserError } from '../util/errors.js';
import { initBackend } from '../backends/index.js';

const options = resolveInpaintOptions({ iters: 4, restarts: 1 });
const userError = (re: RegExp) => (e: Error) =>
  e instanceof UserError && re.test(e.message) && !e.message.includes('\n');

test('batch in-process: a corrupt image fails alone, named; a re-run skips what is done; other options redo it', async () => {
  await initBackend('cpu');
  const fx = await makeQueueFixture(5);
  try {
    fs.writeFileSync(path.join(fx.input, 'bad.png'), 'not an image');
    const out = path.join(fx.tmp, 'out');
    const spec: BatchSpec = {
      input: fx.input,
      mask: 'center',
      out,
      model: fx.modelDir,
      options,
      chunk: 2,
      backend: 'cpu',
    };
    const before = tf.memory().numTensors;
    const r = await runBatch(spec);
    assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
    assert.deepEqual([r.done, r.skipped, r.failed, r.pending], [5, 0, 1, 0]);
    assert.equal(r.jobs, 3);
    const bad = r.images.find((im) => im.input === 'bad.png')!;
    assert.equal(bad.status, 'failed');
    assert.match(bad.reason!, /cannot decode 'bad\.png'/);
    for (const im of r.images.filter((x) => x.status === 'done')) {
      assert.equal(im.writes, 1);
      for (const f of [
        'input.png',
        'mask.png',
        'masked.png',
        'raw.png',
        'composite.png',
        'blended.png',
        'side_by_side.png',
        'meta.json',
      ])
        assert.ok(fs.existsSync(path.join(out, im.output, f)), `${im.output}/${f}`);
    }
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
    assert.deepEqual([summary.done, summary.failed, summary.images.length], [5, 1, 6]);
    const tree = readTree(out);

    const again = await runBatch(spec);
    assert.deepEqual(
      [again.done, again.skipped, again.failed, again.jobs],
      [0, 5, 1, 1],
      'only the failed image is tried again',
    );
    assert.deepEqual(readTree(out), tree, 'skipped outputs untouched');

    const other = await runBatch({ ...spec, options: { ...options, seed: 3 } });
    assert.equal(other.done, 5, 'a new seed is new work');
  } finally {
    fx.cleanup();
  }
});

test('batch: a mask folder gives each image its mask; a missing one fails that image; bad input is one error, nothing written', async () => {
  await initBackend('cpu');
  const fx = await makeQueueFixture(3);
  try {
    const masks = path.join(fx.tmp, 'masks');
    fs.mkdirSync(masks);
    const m = {
      data: Float32Array.from({ length: 28 * 28 }, (_, i) => (i % 28 < 14 ? 1 : 0)),
      n: 1,
      height: 28,
      width: 28,
      channels: 1,
    };
    fs.writeFileSync(path.join(masks, 'img0000.png'), await encodePng(m));
    fs.writeFileSync(path.join(masks, 'img0001.webp'), await encodePng(m)); // any image extension; sharp reads the content
    const out = path.join(fx.tmp, 'out');
    const r = await runBatch({ input: fx.input, mask: masks, out, model: fx.modelDir, options, backend: 'cpu' });
    assert.deepEqual([r.done, r.failed], [2, 1]);
    assert.match(r.images[2]!.reason!, /no mask for 'img0002\.png'/);

    const out2 = path.join(fx.tmp, 'out2');
    const spec = { input: fx.input, out: out2, model: fx.modelDir, options, backend: 'cpu' };
    const corrupt = path.join(fx.tmp, 'corrupt.png');
    fs.writeFileSync(corrupt, 'no');
    await assert.rejects(runBatch({ ...spec, mask: 'blob' }), userError(/neither a mask kind/));
    await assert.rejects(runBatch({ ...spec, mask: corrupt }), userError(/cannot decode mask/));
    await assert.rejects(
      runBatch({ ...spec, mask: 'center', input: path.join(fx.tmp, 'nope') }),
      userError(/does not exist/),
    );
    await assert.rejects(
      runBatch({ ...spec, mask: 'center', input: masks, model: 'no-such-model' }),
      userError(/unknown model/),
    );
    await assert.rejects(runBatch({ ...spec, mask: 'center', chunk: 0 }), userError(/chunk/));
    assert.ok(!fs.existsSync(out2), 'no output folder after bad input');
  } finally {
    fx.cleanup();
  }
});

test('batch CLI: exit 1 when an image failed, 0 when all done; flags that need --redis', async () => {
  const fx = await makeQueueFixture(2);
  try {
    const out = path.join(fx.tmp, 'out');
    const args = [
      'batch',
      '--input',
      fx.input,
      '--mask',
      'center',
      '--out',
      out,
      '--model',
      fx.modelDir,
      '--iters',
      '2',
      '--restarts',
      '1',
      '--backend',
      'cpu',
    ];
    const errs: string[] = [];
    const w = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => {
      errs.push(String(s));
      return true;
    }) as typeof process.stderr.write;
    let ok: number, failed: number;
    try {
      ok = await main(args);
      fs.writeFileSync(path.join(fx.input, 'zz.png'), 'broken');
      failed = await main(args);
    } finally {
      process.stderr.write = w;
    }
    assert.equal(ok, 0);
    assert.equal(failed, 1);
    assert.match(errs.join(''), /batch: 3 image\(s\): 0 done, 2 skipped, 1 failed/);
    assert.match(errs.join(''), /failed: 'zz\.png': cannot decode/);
    await assert.rejects(main([...args, '--queue', 'q']), userError(/--queue needs --redis/));
    await assert.rejects(main(['batch', '--input', fx.input]), userError(/--mask is required/));
  } finally {
    fx.cleanup();
  }
});
