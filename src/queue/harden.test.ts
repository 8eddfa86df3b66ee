/**
 * Issue #30 (items 2 and 4), on a real redis-server with the tiny model on the cpu backend:
 *  - a worker with another model beside the right ones takes none of their jobs (queues per model
 *    digest), and a batch with only such workers stops with one line;
 *  - `serve --redis` admits concurrent requests atomically: exactly --max-queue of a burst;
 *  - a client that goes away cancels its job on the worker, mid-search.
 * Nothing here measures time: waits are bounded only so a broken build fails instead of hanging.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { redisServerPath, startRedis, type TestRedis } from '../testing/redis.js';
import { makeQueueFixture, until, runCli, type QueueFixture } from '../testing/queue_fixture.js';
import { runBatch } from './batch.js';
import { startQueueWorker, type RunningQueueWorker } from './worker.js';
import { queueRunner } from './server_runner.js';
import { resolveInpaintOptions } from '../inpaint/options.js';
import { initBackend } from '../backends/index.js';
import { loadServedModels } from '../server/models.js';
import { startServer } from '../server/server.js';
import { parseSse, pngDataUrl, testImage } from '../testing/server_fixture.js';
import { definedKeys } from '../util/defined.js';

const skip = redisServerPath() ? false : 'redis-server is not installed (apt-get install redis-server)';
const N = 16;
const options = resolveInpaintOptions({ iters: 20, restarts: 1 });

let redis: TestRedis;
let fx: QueueFixture & { otherModelDir?: string };

before(async () => {
  if (skip) return;
  await initBackend('cpu');
  redis = await startRedis();
  fx = await makeQueueFixture(N, true);
});

after(async () => {
  if (skip) return;
  await redis.stop();
  fx.cleanup();
});

/** Job hashes of the `--queue` name `q` (whatever BullMQ queue the model's jobs are on) left in Redis. */
async function jobKeys(q: string): Promise<string[]> {
  return (await redis.client.keys(`bull:${q}*`)).filter((k) => /:c[0-9a-f]{40}$/.test(k));
}

const jobLines = (lines: string[]) => lines.filter((l) => /^job c/.test(l));

test('a worker with another model beside a right one takes none of its jobs: every image done', {
  skip,
  timeout: 120_000,
}, async () => {
  const q = 'mixed';
  const right: string[] = [],
    wrong: string[] = [];
  const ws: RunningQueueWorker[] = [];
  try {
    ws.push(
      await startQueueWorker({
        redis: redis.url,
        queue: q,
        model: fx.otherModelDir!,
        backend: 'cpu',
        log: (l) => wrong.push(l),
      }),
    );
    ws.push(
      await startQueueWorker({
        redis: redis.url,
        queue: q,
        model: fx.modelDir,
        backend: 'cpu',
        log: (l) => right.push(l),
      }),
    );
    const r = await runBatch({
      input: fx.input,
      mask: 'center',
      out: path.join(fx.tmp, 'mixed'),
      model: fx.modelDir,
      options,
      chunk: 2,
      redis: redis.url,
      queue: q,
    });
    assert.deepEqual(
      [r.done, r.failed, r.pending],
      [N, 0, 0],
      JSON.stringify(r.images.filter((i) => i.status !== 'done').slice(0, 3)),
    );
    assert.deepEqual(jobLines(wrong), [], "the other model's worker saw no job");
    assert.equal(jobLines(right).filter((l) => / done, 0 failed/.test(l)).length, N / 2);
    assert.deepEqual(await jobKeys(q), []);
  } finally {
    for (const w of ws) await w.close();
  }
});

test('batch with only workers of other models (or none): one error line, exit 2, nothing left on the queue', {
  skip,
  timeout: 120_000,
}, async () => {
  const q = 'mixed-none';
  const wrong: string[] = [];
  const w = await startQueueWorker({
    redis: redis.url,
    queue: q,
    model: fx.otherModelDir!,
    backend: 'cpu',
    log: (l) => wrong.push(l),
  });
  try {
    const out = path.join(fx.tmp, 'mixed-none');
    const b = await runCli([
      'batch',
      '--redis',
      redis.url,
      '--queue',
      q,
      '--worker-timeout',
      '0',
      '--iters',
      '5',
      '--restarts',
      '1',
      '--input',
      fx.input,
      '--mask',
      'center',
      '--out',
      out,
      '--model',
      fx.modelDir,
    ]);
    assert.equal(b.status, 2, b.stderr);
    const errors = b.stderr.split('\n').filter((l) => /error/.test(l));
    assert.equal(errors.length, 1, b.stderr);
    assert.match(
      errors[0]!,
      /^wgan-inpaint: error: no worker for model '.*' \(digest [0-9a-f]{12}\) on queue 'mixed-none' within 0 s: 1 connected worker\(s\) serve other models \(digest [0-9a-f]{12}\); start one with the batch's model: wgan-inpaint worker --redis URL --queue mixed-none --model /,
    );
    assert.ok(errors[0]!.includes(w.digest.slice(0, 12)), 'names the digest the connected worker serves');
    assert.deepEqual(jobLines(wrong), []);
    assert.deepEqual(await jobKeys(q), [], 'nothing left waiting');
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')) as {
      pending: number;
      stopped: string;
    };
    assert.equal(summary.pending, N);
    assert.match(summary.stopped, /^no worker for model/);
  } finally {
    await w.close();
  }
  // No worker at all: the same line, saying so; the jobs it had submitted are taken off again.
  await assert.rejects(
    runBatch({
      input: fx.input,
      mask: 'center',
      out: path.join(fx.tmp, 'none'),
      model: fx.modelDir,
      options,
      chunk: 4,
      redis: redis.url,
      queue: 'nobody',
      workerTimeoutS: 0.3,
    }),
    (e: Error) =>
      /^no worker for model .* on queue 'nobody' within 0\.3 s: no worker is connected to it; start one/.test(
        e.message,
      ) && !e.message.includes('\n'),
  );
  assert.deepEqual(await jobKeys('nobody'), []);
});

test('serve --redis: a burst of concurrent distinct requests gets exactly --max-queue places and 429 beyond; the waiting jobs go when their clients leave', {
  skip,
  timeout: 120_000,
}, async () => {
  const q = 'burst';
  const LIMIT = 5,
    BURST = 30;
  const models = await loadServedModels([fx.modelDir]);
  const runner = await queueRunner({
    url: redis.url,
    queue: q,
    models,
    maxQueued: LIMIT,
    connectTimeoutS: 5,
    log: () => {},
  });
  // No worker: admitted requests wait. Connections per address above the burst (that limit is not under test).
  const s = await startServer(
    { models, backend: 'cpu', runner, limits: { maxConnectionsPerAddress: 2 * BURST } },
    0,
    '127.0.0.1',
  );
  try {
    const image = await pngDataUrl(testImage());
    const acs = Array.from({ length: BURST }, () => new AbortController());
    const res = await Promise.all(
      acs.map((ac, i) =>
        fetch(`${s.url}/api/inpaint`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          signal: ac.signal,
          body: JSON.stringify({
            model: models[0]!.name,
            image,
            mask: { kind: 'center' },
            options: { iters: 5, restarts: 1, seed: i },
          }),
        }),
      ),
    );
    const statuses = res.map((r) => r.status);
    assert.equal(statuses.filter((x) => x === 200).length, LIMIT, statuses.join(' '));
    assert.equal(statuses.filter((x) => x === 429).length, BURST - LIMIT, statuses.join(' '));
    for (const r of res.filter((x) => x.status === 429))
      assert.match(((await r.json()) as { error: string }).error, /job\(s\) wait in the queue \(limit 5\)/);
    await until('the admitted jobs on the queue', 20_000, async () => (await runner.depth()) === LIMIT);
    for (const [i, r] of res.entries()) if (r.status === 200) acs[i]!.abort();
    await until(
      'the waiting jobs of the clients that left removed',
      20_000,
      async () => (await jobKeys(q)).length === 0,
    );
    assert.equal(await runner.depth(), 0);
  } finally {
    await s.close();
  }
});

test('serve --redis: a client that disconnects cancels its running job; the worker stops it mid-search, writes no result, and takes the next', {
  skip,
  timeout: 120_000,
}, async () => {
  const q = 'cancel';
  const ITERS = 100_000; // far more than the tiny model runs in this test's time: only a cancel ends it
  const lines: string[] = [];
  const w = await startQueueWorker({
    redis: redis.url,
    queue: q,
    model: fx.modelDir,
    backend: 'cpu',
    log: (l) => lines.push(l),
  });
  const models = await loadServedModels([fx.modelDir]);
  const runner = await queueRunner({
    url: redis.url,
    queue: q,
    models,
    maxQueued: 4,
    connectTimeoutS: 5,
    log: () => {},
  });
  const s = await startServer({ models, backend: 'cpu', runner, limits: { maxIters: ITERS } }, 0, '127.0.0.1');
  try {
    const image = await pngDataUrl(testImage());
    const post = (iters: number, signal?: AbortSignal) =>
      fetch(`${s.url}/api/inpaint`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        ...definedKeys({ signal }),
        body: JSON.stringify({
          model: models[0]!.name,
          image,
          mask: { kind: 'center' },
          options: { iters, restarts: 1, seed: 7 },
        }),
      });
    const ac = new AbortController();
    const res = await post(ITERS, ac.signal);
    assert.equal(res.status, 200);
    // Read the stream until the search runs on the worker (a progress event past iteration 0), then leave.
    const reader = res.body!.getReader();
    let text = '';
    while (!/event: progress\ndata: \{"iter":[1-9]/.test(text)) {
      const { value, done } = await reader.read();
      assert.ok(!done, `the stream ended before any progress: ${text}`);
      text += new TextDecoder().decode(value);
    }
    ac.abort();
    await until('the worker ending the cancelled job', 60_000, () => lines.some((l) => / cancelled /.test(l)));
    const m = /^job (c[0-9a-f]{12}) cancelled \(its client went away\): stopped after iteration (\d+) of (\d+)/.exec(
      lines.find((l) => / cancelled /.test(l))!,
    );
    assert.ok(m, lines.join('\n'));
    assert.equal(Number(m[3]), ITERS);
    assert.ok(Number(m[2]) < ITERS, `stopped mid-search (iteration ${m[2]})`);
    assert.ok(!lines.some((l) => l.startsWith(`job ${m[1]}`) && / done, /.test(l)), 'no result');
    await until('the cancelled job removed', 20_000, async () => (await jobKeys(q)).length === 0);
    assert.deepEqual(await redis.client.keys('wgan-inpaint:*cancel*'), [], 'the cancel mark is gone');
    // The worker is free: the next request runs to its result.
    const next = parseSse(await (await post(5)).text());
    assert.ok(
      next.some((e) => e.event === 'result'),
      JSON.stringify(next.filter((e) => e.event === 'error')),
    );
    await until('nothing left', 20_000, async () => (await jobKeys(q)).length === 0);
  } finally {
    await s.close();
    await w.close();
  }
});
