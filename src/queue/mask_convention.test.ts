/**
 * Issue #31.1 on the queue: `batch --redis` with a white-hole mask file (LaMa/OpenCV style) — the job
 * carries the mask bytes and the convention (ChunkJob.maskConvention), the worker reads it white =
 * hole and writes mask.png the same way, and the item keys cover the convention (a known-white run of
 * the same files is not skipped as done).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { redisServerPath, startRedis, type TestRedis } from '../testing/redis.js';
import { makeQueueFixture, type QueueFixture } from '../testing/queue_fixture.js';
import { changedPixels, inSquare, whiteHolePng } from '../testing/masks.js';
import { runBatch } from './batch.js';
import { startQueueWorker, type RunningQueueWorker } from './worker.js';
import { resolveInpaintOptions } from '../inpaint/options.js';
import { initBackend } from '../backends/index.js';
import { readImage } from '../io/image.js';

const skip = redisServerPath() ? false : 'redis-server is not installed (apt-get install redis-server)';
const N = 3;
let redis: TestRedis;
let fx: QueueFixture;
let worker: RunningQueueWorker;

before(async () => {
  if (skip) return;
  await initBackend('cpu');
  redis = await startRedis();
  fx = await makeQueueFixture(N);
  worker = await startQueueWorker({ redis: redis.url, queue: 'conv', model: fx.modelDir, backend: 'cpu' });
});
after(async () => {
  if (skip) return;
  await worker.close();
  await redis.stop();
  fx.cleanup();
});

test('batch --redis with a white-hole mask file: every image changes only in the white area; mask.png white = hole', {
  skip,
  timeout: 120_000,
}, async () => {
  const mask = path.join(fx.tmp, 'lama.png');
  fs.writeFileSync(mask, await whiteHolePng());
  const options = resolveInpaintOptions({ iters: 3, restarts: 1, blend: 'none' });
  const out = path.join(fx.tmp, 'out');
  const logs: string[] = [];
  const r = await runBatch(
    { input: fx.input, mask, out, model: fx.modelDir, options, chunk: 2, redis: redis.url, queue: 'conv' },
    { log: (l) => logs.push(l) },
  );
  assert.deepEqual([r.done, r.failed], [N, 0], JSON.stringify(r.images));
  assert.equal(r.maskConvention, 'hole-white');
  assert.deepEqual(
    logs.filter((l) => l.startsWith('warning')),
    [],
    'an 8 % hole is no reason to warn',
  );
  for (const im of r.images) {
    const [input, composite, written] = await Promise.all(
      ['input', 'composite', 'mask'].map((n) => readImage(path.join(out, im.output, `${n}.png`))),
    );
    const ch = changedPixels(input!, composite!);
    assert.equal(ch.outside, 0, `${im.input}: a pixel outside the white square changed`);
    assert.ok(ch.inside > 32, `${im.input}: only ${ch.inside} of 64 hole pixels changed`);
    for (let p = 0; p < 784; p++)
      assert.equal(written!.data[p], inSquare(p) ? 1 : 0, `${im.input} mask.png pixel ${p}`);
  }
  // The same files read known-white are other work: nothing is skipped, and the square stays.
  const k = await runBatch(
    {
      input: fx.input,
      mask,
      out,
      model: fx.modelDir,
      options,
      chunk: 2,
      redis: redis.url,
      queue: 'conv',
      maskConvention: 'known-white',
    },
    { log: (l) => logs.push(l) },
  );
  assert.deepEqual([k.done, k.skipped], [N, 0]);
  assert.ok(
    logs.some((l) =>
      /^warning: mask '.*lama\.png' makes 91\.8 % of the image a hole, read as known-white .*--mask-convention hole-white$/.test(
        l,
      ),
    ),
    logs.join('\n'),
  );
  const [input, composite] = await Promise.all(
    ['input', 'composite'].map((n) => readImage(path.join(out, k.images[0]!.output, `${n}.png`))),
  );
  assert.equal(changedPixels(input!, composite!).inside, 0, 'known-white: the white square is known');
});
