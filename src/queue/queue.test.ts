/**
 * The queue end to end, on a real redis-server (a free loopback port, a temporary folder, no
 * persistence) started and stopped here, with the tiny untrained model on the cpu backend and few
 * iterations, so every job takes about a second.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Queue } from 'bullmq';
import { redisServerPath, startRedis, freePort, type TestRedis } from '../testing/redis.js';
import {
  makeQueueFixture,
  spawnWorker,
  readTree,
  until,
  runCli,
  type QueueFixture,
  type WorkerProc,
} from '../testing/queue_fixture.js';
import { runBatch, type BatchSpec, type BatchReport } from './batch.js';
import { startQueueWorker } from './worker.js';
import { queueRunner } from './server_runner.js';
import { queueConnection } from './redis.js';
import { resolveInpaintOptions } from '../inpaint/options.js';
import { initBackend } from '../backends/index.js';
import { loadServedModels } from '../server/models.js';
import { startServer } from '../server/server.js';
import { addTinyEncoder, parseSse, pngDataUrl, testImage } from '../testing/server_fixture.js';
import { modelDigest } from './digest.js';
import { modelQueueName, JOB_FORMAT } from './protocol.js';
import { loadCheckpoint } from '../encoder/checkpoint.js';
import { attachEncoder } from '../encoder/checkpoint.js';
import { inpaintImages } from '../inpaint/inpaint.js';
import { inpaintOutputFiles } from '../io/outputs.js';
import { decodeImage } from '../io/image.js';
import { makeMask } from '../masks/masks.js';

const skip = redisServerPath() ? false : 'redis-server is not installed (apt-get install redis-server)';
const N = 40;
const options = resolveInpaintOptions({ iters: 40, restarts: 1 });
const CHUNK = 4;
// Short locks so a killed worker's job comes back within ≈ 3 s (production defaults: worker.ts).
const FAST = ['--backend', 'cpu', '--lock-duration', '2000', '--stalled-interval', '1000'];

let redis: TestRedis;
let fx: QueueFixture & { otherModelDir?: string };
let reference: Map<string, Buffer> | null = null;

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

const spec = (out: string, extra: Partial<BatchSpec> = {}): BatchSpec => ({
  input: fx.input,
  mask: 'center',
  out: path.join(fx.tmp, out),
  model: fx.modelDir,
  options,
  chunk: CHUNK,
  ...extra,
});

/** The in-process outputs every queue run must equal, byte for byte (computed once). */
async function referenceTree(): Promise<Map<string, Buffer>> {
  if (!reference) {
    const r = await runBatch(spec('reference', { backend: 'cpu' }));
    assert.equal(r.done, N);
    reference = readTree(path.join(fx.tmp, 'reference'));
  }
  return reference;
}

/** The BullMQ queue of the `--queue` name `q` for a model's jobs (modelQueueName). */
const mq = (q: string, model = fx.modelDir) => modelQueueName(q, modelDigest(model));

function queueOf(name: string, model = fx.modelDir): Queue {
  return new Queue(mq(name, model), { connection: queueConnection(redis.url), skipVersionCheck: true });
}

/** Nothing of the queue's jobs is left in Redis: no job in any state, no job hash. */
async function assertNoJobsLeft(name: string, model = fx.modelDir): Promise<void> {
  const q = queueOf(name, model);
  try {
    const counts = await q.getJobCounts(
      'active',
      'waiting',
      'delayed',
      'prioritized',
      'completed',
      'failed',
      'waiting-children',
    );
    assert.deepEqual(
      Object.values(counts).filter((n) => n > 0),
      [],
      `jobs left in ${name}: ${JSON.stringify(counts)}`,
    );
  } finally {
    await q.close();
  }
  const keys = await redis.client.keys(`bull:${mq(name, model)}:c*`);
  assert.deepEqual(keys, [], 'job hashes left in Redis');
}

function assertExactlyOnce(r: BatchReport): void {
  assert.deepEqual(
    [r.done, r.failed, r.pending, r.skipped],
    [N, 0, 0, 0],
    JSON.stringify(r.images.filter((i) => i.status !== 'done')),
  );
  for (const im of r.images) assert.equal(im.writes, 1, `${im.input} written ${im.writes} times`);
}

async function stopWorkers(ws: WorkerProc[]): Promise<void> {
  for (const w of ws) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGTERM');
  const codes = await Promise.all(ws.map((w) => w.exited));
  for (const [i, c] of codes.entries()) if (c !== 'SIGKILL') assert.equal(c, 0, `worker exit:\n${ws[i]!.log()}`);
}

test('two workers, one SIGKILLed mid-job, the other SIGTERMed mid-job, a new one started: every image once, byte-identical to in-process, nothing left in Redis', {
  skip,
  timeout: 120_000,
}, async () => {
  const ref = await referenceTree();
  const q = 'kill';
  const args = ['--redis', redis.url, '--queue', q, '--model', fx.modelDir, '--grace', '0', ...FAST];
  const w1 = spawnWorker(args),
    w2 = spawnWorker(args);
  const ws = [w1, w2];
  const queue = queueOf(q);
  /** Wait for a job that `w` has started and not finished; its id. */
  const activeOn = async (w: WorkerProc) => {
    let id = '';
    await until(`a job active on ${w.name}`, 60_000, async () => {
      id = (await queue.getActive()).find((j) => j.processedBy === w.name)?.id ?? '';
      return !!id;
    });
    return id;
  };
  try {
    await Promise.all([w1.ready, w2.ready]);
    const done = runBatch(spec('kill', { redis: redis.url, queue: q }));
    const killed = await activeOn(w1);
    w1.proc.kill('SIGKILL');
    const w3 = spawnWorker(args);
    ws.push(w3);
    // A graceful stop with --grace 0 hands the running chunk back at once and exits 0.
    const handed = await activeOn(w2);
    w2.proc.kill('SIGTERM');
    assert.equal(await w2.exited, 0, w2.log());
    assert.match(w2.log(), new RegExp(`job ${handed.slice(0, 13)} handed back to the queue`));
    const r = await done;
    assertExactlyOnce(r);
    assert.ok(r.reruns >= 2, `the killed job ${killed} and the handed-back ${handed} ran again (reruns ${r.reruns})`);
    assert.deepEqual(readTree(path.join(fx.tmp, 'kill')), ref);
    await assertNoJobsLeft(q);
  } finally {
    await queue.close();
    await stopWorkers(ws);
  }
});

test('enqueuing the same batch twice adds no jobs; both get every result', { skip, timeout: 60_000 }, async () => {
  const ref = await referenceTree();
  const q = 'twice';
  const a = runBatch(spec('twice-a', { redis: redis.url, queue: q }));
  const b = runBatch(spec('twice-b', { redis: redis.url, queue: q }));
  const events = async () => (await redis.client.xrange(`bull:${mq(q)}:events`, '-', '+')).map(([, f]) => f[1]);
  const jobs = N / CHUNK;
  // No worker yet: both clients enqueue everything, the second one's adds are duplicates.
  await until(
    'both batches enqueued',
    30_000,
    async () => (await events()).filter((e) => e === 'duplicated').length >= jobs,
  );
  const ev = await events();
  assert.equal(ev.filter((e) => e === 'added').length, jobs);
  assert.equal(ev.filter((e) => e === 'duplicated').length, jobs);
  assert.equal(await redis.client.llen(`bull:${mq(q)}:wait`), jobs);
  const lines: string[] = [];
  const w = await startQueueWorker({
    redis: redis.url,
    queue: q,
    model: fx.modelDir,
    backend: 'cpu',
    log: (l) => lines.push(l),
  });
  try {
    const [ra, rb] = await Promise.all([a, b]);
    assertExactlyOnce(ra);
    assertExactlyOnce(rb);
    assert.deepEqual(readTree(path.join(fx.tmp, 'twice-a')), ref);
    assert.deepEqual(readTree(path.join(fx.tmp, 'twice-b')), ref);
    assert.equal(lines.filter((l) => / done, /.test(l)).length, jobs, 'each chunk computed once');
    await assertNoJobsLeft(q);
  } finally {
    await w.close();
  }
});

test("a worker listens on its model's queue only, and still refuses a job there that names another model", {
  skip,
  timeout: 60_000,
}, async () => {
  // A batch's jobs for another model never reach this worker (harden.test.ts); a job placed on its
  // queue by hand (or a digest-prefix collision) with another digest fails at once, not retried.
  const q = 'refuse';
  const lines: string[] = [];
  const w = await startQueueWorker({
    redis: redis.url,
    queue: q,
    model: fx.modelDir,
    backend: 'cpu',
    log: (l) => lines.push(l),
  });
  const queue = queueOf(q);
  try {
    assert.equal(w.queue, mq(q));
    assert.equal(queue.name, `${q}.${w.digest.slice(0, 16)}`);
    const job = await queue.add(
      'chunk',
      { format: JOB_FORMAT, model: 'f'.repeat(64), options, items: [] },
      { jobId: 'c'.padEnd(41, '0'), attempts: 3 },
    );
    await until('the job failed', 30_000, async () => (await queue.getJobState(job.id!)) === 'failed');
    const failed = await queue.getJob(job.id!);
    assert.match(failed!.failedReason, /^model mismatch: the job needs model f{12}…, the worker .* has [0-9a-f]{12}…/);
    assert.equal(failed!.attemptsMade, 1, 'not retried');
    assert.equal(lines.filter((l) => /refused: it needs model/.test(l)).length, 1);
    await queue.remove(job.id!);
    await assertNoJobsLeft(q);
  } finally {
    await queue.close();
    await w.close();
  }
});

test('a worker warns at start-up when Redis may evict keys (maxmemory-policy other than noeviction)', {
  skip,
  timeout: 60_000,
}, async () => {
  await redis.client.config('SET', 'maxmemory-policy', 'allkeys-lru');
  const lines: string[] = [];
  try {
    const w = await startQueueWorker({
      redis: redis.url,
      queue: 'policy',
      model: fx.modelDir,
      backend: 'cpu',
      log: (l) => lines.push(l),
    });
    await w.close();
  } finally {
    await redis.client.config('SET', 'maxmemory-policy', 'noeviction');
  }
  assert.equal(
    lines.filter((l) =>
      /^warning: Redis at redis:\/\/127\.0\.0\.1:\d+ has maxmemory-policy 'allkeys-lru'; set it to noeviction/.test(l),
    ).length,
    1,
    lines.join('\n'),
  );
  const quiet: string[] = [];
  const w2 = await startQueueWorker({
    redis: redis.url,
    queue: 'policy',
    model: fx.modelDir,
    backend: 'cpu',
    log: (l) => quiet.push(l),
  });
  await w2.close();
  assert.deepEqual(
    quiet.filter((l) => /warning/.test(l)),
    [],
  );
});

test('a Redis restart mid-batch (everything in it lost) is waited out and the batch completes', {
  skip,
  timeout: 120_000,
}, async () => {
  const ref = await referenceTree();
  const q = 'restart';
  const w = spawnWorker(['--redis', redis.url, '--queue', q, '--model', fx.modelDir, ...FAST]);
  try {
    await w.ready;
    const done = runBatch(spec('restart', { redis: redis.url, queue: q }));
    await until('some images done', 60_000, () => fs.existsSync(path.join(fx.tmp, 'restart', 'img0004', 'meta.json')));
    await redis.restart();
    const r = await done;
    assertExactlyOnce(r);
    assert.deepEqual(readTree(path.join(fx.tmp, 'restart')), ref);
    await assertNoJobsLeft(q);
  } finally {
    await stopWorkers([w]);
  }
});

test('an unreachable or silent Redis fails fast with one error line and exit 2', {
  skip,
  timeout: 60_000,
}, async () => {
  const port = await freePort(); // nothing listens there
  const w = await runCli([
    'worker',
    '--redis',
    `redis://127.0.0.1:${port}`,
    '--model',
    fx.modelDir,
    '--backend',
    'cpu',
  ]);
  assert.equal(w.status, 2);
  assert.deepEqual(
    w.stderr
      .trim()
      .split('\n')
      .filter((l) => /error/.test(l)).length,
    1,
    w.stderr,
  );
  assert.match(
    w.stderr,
    new RegExp(`^wgan-inpaint: error: cannot reach Redis at redis://127\\.0\\.0\\.1:${port}.*ECONNREFUSED`, 'm'),
  );
  // A server that accepts the connection and never answers: the connect timeout bounds the wait.
  const silent = net.createServer(() => {});
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  try {
    const sp = (silent.address() as net.AddressInfo).port;
    const b = await runCli([
      'batch',
      '--redis',
      `redis://127.0.0.1:${sp}`,
      '--connect-timeout',
      '0.5',
      '--input',
      fx.input,
      '--mask',
      'center',
      '--out',
      path.join(fx.tmp, 'silent'),
      '--model',
      fx.modelDir,
    ]);
    assert.equal(b.status, 2);
    assert.match(
      b.stderr,
      /^wgan-inpaint: error: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+\/?: no answer within 0\.5 s/m,
    );
    const bad = await runCli([
      'batch',
      '--redis',
      'http://x',
      '--input',
      fx.input,
      '--mask',
      'center',
      '--out',
      path.join(fx.tmp, 'silent'),
      '--model',
      fx.modelDir,
    ]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--redis must be a redis:\/\/ or rediss:\/\/ URL/);
  } finally {
    silent.close();
  }
});

test('serve --redis: the HTTP API answers through a separate worker process; 429 beyond the queue limit', {
  skip,
  timeout: 60_000,
}, async () => {
  const q = 'serve';
  const models = await loadServedModels([fx.modelDir]);
  const runner = await queueRunner({
    url: redis.url,
    queue: q,
    models,
    maxQueued: 1,
    connectTimeoutS: 5,
    log: () => {},
  });
  const s = await startServer({ models, backend: 'cpu', runner }, 0, '127.0.0.1');
  let w: WorkerProc | null = null;
  try {
    const body = (seed: number) => ({
      model: models[0]!.name,
      mask: { kind: 'center' },
      options: { iters: 20, restarts: 1, seed },
    });
    const image = await pngDataUrl(testImage());
    const post = (b: object) =>
      fetch(`${s.url}/api/inpaint`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ ...b, image }),
      });
    // No worker yet: the first request waits in the queue…
    const first = post(body(1));
    await until('the first job waiting', 20_000, async () => (await runner.depth()) === 1);
    // …and fills it (limit 1), so the next one is refused.
    const busy = await post(body(2));
    assert.equal(busy.status, 429);
    assert.ok(Number(busy.headers.get('retry-after')) >= 1);
    assert.match(((await busy.json()) as { error: string }).error, /1 job\(s\) wait in the queue \(limit 1\)/);
    w = spawnWorker(['--redis', redis.url, '--queue', q, '--model', fx.modelDir, '--backend', 'cpu']);
    const res = await first;
    assert.equal(res.status, 200);
    const events = parseSse(await res.text());
    const names = events.map((e) => e.event);
    assert.ok(names.includes('progress'), names.join(','));
    assert.ok(
      events.some(
        (e) =>
          e.event === 'progress' &&
          typeof e.data.preview === 'string' &&
          e.data.preview.startsWith('data:image/png;base64,'),
      ),
      'previews from the job progress events',
    );
    const result = events.find((e) => e.event === 'result');
    assert.ok(result, JSON.stringify(events.filter((e) => e.event === 'error')));
    for (const k of ['input', 'mask', 'masked', 'raw', 'composite', 'blended'])
      assert.match(result.data[k], /^data:image\/png;base64,/);
    assert.equal(typeof result.data.losses.contextual, 'number');
    assert.match(w.log(), /job c[0-9a-f]{12} 1 image\(s\): 1 done/);
    await assertNoJobsLeft(q);
  } finally {
    await s.close();
    if (w) await stopWorkers([w]);
  }
});

test('a model with an encoder: queue workers start from it (byte-identical to a local inpaint with it), --init random starts at random z, --init encoder without one is refused before anything is submitted; serve --redis says start: encoder', {
  skip,
  timeout: 120_000,
}, async () => {
  // The tiny model with an encoder of its own, and four of the fixture's images.
  const encModel = path.join(fx.tmp, 'enc-model');
  fs.cpSync(fx.modelDir, encModel, { recursive: true });
  await addTinyEncoder(encModel);
  assert.notEqual(modelDigest(encModel), modelDigest(fx.modelDir), 'the digest covers the encoder');
  const input = path.join(fx.tmp, 'enc-in');
  fs.mkdirSync(input);
  for (const f of fx.files.slice(0, 4)) fs.copyFileSync(f, path.join(input, path.basename(f)));
  const q = 'enc';
  const lines: string[] = [];
  const w = await startQueueWorker({
    redis: redis.url,
    queue: q,
    model: encModel,
    backend: 'cpu',
    log: (l) => lines.push(l),
  });
  const noEnc: string[] = [];
  const w0 = await startQueueWorker({
    redis: redis.url,
    queue: 'enc-none',
    model: fx.modelDir,
    backend: 'cpu',
    log: (l) => noEnc.push(l),
  });
  await w0.close();
  const local = await loadCheckpoint(encModel);
  const attached = await attachEncoder(local, 'auto', undefined, 'tiny');
  try {
    assert.equal(
      lines.filter((l) => /^notice: start: the encoder in .*enc-model\/encoder/.test(l)).length,
      1,
      lines.join('\n'),
    );
    assert.equal(
      noEnc.filter((l) => /^notice: start: random z, model .* has no encoder/.test(l)).length,
      1,
      noEnc.join('\n'),
    );
    const logs: string[] = [];
    // Only the iterations given: restarts resolve for the encoder's start (1), not random z's (4).
    const given = { iters: 15 };
    const r = await runBatch(
      {
        input,
        mask: 'center',
        out: path.join(fx.tmp, 'enc-q'),
        model: encModel,
        options: given,
        chunk: 2,
        redis: redis.url,
        queue: q,
      },
      { log: (l) => logs.push(l) },
    );
    assert.deepEqual([r.done, r.failed, r.start], [4, 0, 'encoder'], JSON.stringify(r.images));
    assert.deepEqual([r.options.init, r.options.iters, r.options.restarts], ['encoder', 15, 1]);
    for (const im of r.images) assert.equal(im.start, 'encoder', `${im.input} started from the encoder on the worker`);
    assert.ok(
      logs.some((l) => /^notice: start: the encoder in /.test(l)),
      logs.join('\n'),
    );
    const summary = JSON.parse(fs.readFileSync(path.join(fx.tmp, 'enc-q', 'summary.json'), 'utf8')) as {
      start: string;
      options: { restarts: number };
    };
    assert.deepEqual([summary.start, summary.options.restarts], ['encoder', 1]);
    // The same as a local inpaint with the model and its encoder, file for file, byte for byte.
    for (const [i, f] of fx.files.slice(0, 4).entries()) {
      const image = await decodeImage(new Uint8Array(fs.readFileSync(f)), { channels: 1 });
      const mask = makeMask('center', image.height, image.width, { seed: r.options.seed + i });
      const [res] = await inpaintImages(attached.model, [image], [mask], given);
      const stem = path.basename(f, '.png');
      for (const [name, bytes] of await inpaintOutputFiles(image, mask, res!)) {
        assert.ok(
          Buffer.from(bytes).equals(fs.readFileSync(path.join(fx.tmp, 'enc-q', stem, name))),
          `${stem}/${name} differs from a local inpaint from the encoder`,
        );
      }
    }
    // In-process gives the same bytes.
    const inproc = await runBatch({
      input,
      mask: 'center',
      out: path.join(fx.tmp, 'enc-in-process'),
      model: encModel,
      options: given,
      chunk: 2,
      backend: 'cpu',
    });
    assert.equal(inproc.start, 'encoder');
    assert.deepEqual(readTree(path.join(fx.tmp, 'enc-in-process')), readTree(path.join(fx.tmp, 'enc-q')));

    // The same encoder outside the model folder (--encoder on batch and worker): the same digest as
    // the model with it installed, so the same job keys and byte-identical outputs; a worker without
    // it has the encoder-less digest and would refuse these jobs.
    const ext = path.join(fx.tmp, 'ext-encoder');
    fs.cpSync(path.join(encModel, 'encoder'), ext, { recursive: true });
    assert.equal(
      modelDigest(fx.modelDir, ext),
      modelDigest(encModel),
      'the digest is of the encoder, not of where it lies',
    );
    assert.notEqual(modelDigest(fx.modelDir, ext), modelDigest(fx.modelDir));
    const extLines: string[] = [];
    const wx = await startQueueWorker({
      redis: redis.url,
      queue: 'enc-ext',
      model: fx.modelDir,
      encoder: ext,
      backend: 'cpu',
      log: (l) => extLines.push(l),
    });
    try {
      assert.equal(wx.digest, modelDigest(encModel));
      assert.ok(
        extLines.some((l) => /^notice: start: the encoder in .*ext-encoder/.test(l)),
        extLines.join('\n'),
      );
      const rx = await runBatch({
        input,
        mask: 'center',
        out: path.join(fx.tmp, 'enc-ext'),
        model: fx.modelDir,
        encoder: ext,
        options: given,
        chunk: 2,
        redis: redis.url,
        queue: 'enc-ext',
      });
      assert.deepEqual([rx.done, rx.failed, rx.start], [4, 0, 'encoder'], JSON.stringify(rx.images));
      assert.deepEqual(readTree(path.join(fx.tmp, 'enc-ext')), readTree(path.join(fx.tmp, 'enc-q')));
      // serve --redis --encoder EXT: its jobs carry the same digest, so this worker runs them.
      const served = await loadServedModels([fx.modelDir], () => {}, { encoder: ext });
      const rs = await queueRunner({
        url: redis.url,
        queue: 'enc-ext',
        models: served,
        maxQueued: 4,
        connectTimeoutS: 5,
        log: () => {},
      });
      const sx = await startServer({ models: served, backend: 'cpu', runner: rs }, 0, '127.0.0.1');
      try {
        const res = await fetch(`${sx.url}/api/inpaint`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({
            model: served[0]!.name,
            image: await pngDataUrl(testImage()),
            mask: { kind: 'center' },
            options: { iters: 5 },
          }),
        });
        const events = parseSse(await res.text());
        assert.equal(events.find((e) => e.event === 'start')?.data.start, 'encoder');
        assert.ok(
          events.some((e) => e.event === 'result'),
          JSON.stringify(events.filter((e) => e.event === 'error')),
        );
      } finally {
        await sx.close();
      }
      await assertNoJobsLeft('enc-ext', encModel);
    } finally {
      await wx.close();
    }

    // --init random: random z, iterations × restarts per the random start (restarts 4), other fills.
    const rr = await runBatch({
      input,
      mask: 'center',
      out: path.join(fx.tmp, 'enc-random'),
      model: encModel,
      options: { ...given, init: 'random' },
      chunk: 2,
      redis: redis.url,
      queue: q,
    });
    assert.deepEqual([rr.done, rr.start, rr.options.init, rr.options.restarts], [4, 'random', 'random', 4]);
    for (const im of rr.images) assert.equal(im.start, 'random');
    assert.ok(
      !fs
        .readFileSync(path.join(fx.tmp, 'enc-random', 'img0000', 'raw.png'))
        .equals(fs.readFileSync(path.join(fx.tmp, 'enc-q', 'img0000', 'raw.png'))),
      'the random start gives another fill',
    );

    // --init encoder with a model without an encoder: one error line, exit 2, nothing on the queue.
    const refused = await runCli([
      'batch',
      '--redis',
      redis.url,
      '--queue',
      'enc-refused',
      '--init',
      'encoder',
      '--input',
      input,
      '--mask',
      'center',
      '--out',
      path.join(fx.tmp, 'enc-refused'),
      '--model',
      fx.modelDir,
    ]);
    assert.equal(refused.status, 2, refused.stderr);
    assert.deepEqual(refused.stderr.trim().split('\n'), [refused.stderr.trim()], 'one line');
    assert.match(
      refused.stderr,
      /^wgan-inpaint: error: --init encoder: model '.*' has no encoder \(looked in .*model\/encoder\)/,
    );
    assert.equal((await redis.client.keys('bull:enc-refused*')).length, 0, 'nothing submitted');

    // serve --redis with the model: the request starts from the encoder (start event) on the worker.
    const models = await loadServedModels([encModel]);
    assert.ok(models[0]!.encoder, 'served with its encoder');
    const runner = await queueRunner({
      url: redis.url,
      queue: q,
      models,
      maxQueued: 4,
      connectTimeoutS: 5,
      log: () => {},
    });
    const s = await startServer({ models, backend: 'cpu', runner }, 0, '127.0.0.1');
    try {
      const res = await fetch(`${s.url}/api/inpaint`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          model: models[0]!.name,
          image: await pngDataUrl(testImage()),
          mask: { kind: 'center' },
          options: { iters: 10 },
        }),
      });
      const events = parseSse(await res.text());
      const start = events.find((e) => e.event === 'start');
      assert.deepEqual([start?.data.start, start?.data.restarts], ['encoder', 1]);
      assert.ok(
        events.some((e) => e.event === 'result'),
        JSON.stringify(events.filter((e) => e.event === 'error')),
      );
    } finally {
      await s.close();
    }
    await assertNoJobsLeft(q, encModel);
  } finally {
    for (const m of [attached.model.generator, attached.model.critic, attached.model.encoder]) m?.dispose();
    await w.close();
  }
});
