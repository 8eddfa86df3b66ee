import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import '../models/layers.js';
import {
  startTestServer,
  pngDataUrl,
  testImage,
  parseSse,
  serverTensors,
  addTinyEncoder,
  type TestServer,
} from '../testing/server_fixture.js';
import { loadServedModels } from './models.js';
import { startServer } from './server.js';
import { resizeMaskKeepHoles } from '../masks/masks.js';
import { definedKeys } from '../util/defined.js';

let S: TestServer;
let webRoot: string;
let runDir: string;
let base: string;
const SECRET = 'TOP-SECRET-CONTENT-4711';

before(async () => {
  // A web root and a run folder, each with something outside it that must never be served.
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-serve-t-'));
  webRoot = path.join(base, 'web');
  runDir = path.join(base, 'run');
  fs.mkdirSync(path.join(webRoot, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(webRoot, 'index.html'), '<!doctype html><title>page</title>hello page');
  fs.writeFileSync(path.join(webRoot, 'assets', 'app.js'), 'console.log(1)');
  fs.writeFileSync(path.join(base, 'secret.txt'), SECRET);
  fs.symlinkSync(path.join(base, 'secret.txt'), path.join(webRoot, 'leak.txt'));
  fs.mkdirSync(path.join(runDir, 'samples'), { recursive: true });
  fs.writeFileSync(
    path.join(runDir, 'samples', 'latest.png'),
    Buffer.from(
      await sharp({ create: { width: 4, height: 4, channels: 3, background: '#808080' } })
        .png()
        .toBuffer(),
    ),
  );
  fs.writeFileSync(path.join(runDir, 'plot.svg'), '<svg xmlns="http://www.w3.org/2000/svg"></svg>');
  fs.writeFileSync(path.join(runDir, 'stats.jsonl'), '{"iter":1,"wEstimate":0.5}\n{"iter":2,"wEstimate":0.25}\n');
  fs.writeFileSync(path.join(runDir, 'config.json'), SECRET);
  S = await startTestServer({ webRoot, runDir, limits: { maxBodyBytes: 1024 * 1024 } });
  // A symlink inside a model folder pointing outside it.
  fs.symlinkSync(path.join(base, 'secret.txt'), path.join(S.modelDir, 'samples', 'evil.png'));
});

after(async () => {
  await S.stop();
  fs.rmSync(base, { recursive: true, force: true });
});

/** A raw GET that sends the path byte for byte (fetch and URL would normalise `..`). */
function rawGet(p: string): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  const u = new URL(S.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: p, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function post(
  body: unknown,
  type = 'application/json',
): Promise<{ status: number; text: string; headers: Headers }> {
  const r = await fetch(`${S.url}/api/inpaint`, {
    method: 'POST',
    headers: { 'content-type': type },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: r.status, text: await r.text(), headers: r.headers };
}

/** Hand-made mask: a 8×8 hole at rows/cols 10..17 of a 28×28 image; white = known (sent with maskConvention 'known-white'; the default, white = hole, is src/server/mask_convention.test.ts). */
function squareMask(size = 28) {
  const data = new Float32Array(size * size).fill(1);
  for (let y = 10; y < 18; y++) for (let x = 10; x < 18; x++) data[y * size + x] = 0;
  return { data, n: 1, height: size, width: size, channels: 1 };
}

async function pixels(dataUrl: string): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const b64 = dataUrl.replace(/^data:image\/png;base64,/, '');
  const { data, info } = await sharp(Buffer.from(b64, 'base64')).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

test('GET /healthz answers ok with COOP/COEP headers', async () => {
  const r = await fetch(`${S.url}/healthz`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('cross-origin-opener-policy'), 'same-origin');
  assert.equal(r.headers.get('cross-origin-embedder-policy'), 'require-corp');
  const j = (await r.json()) as { ok: boolean };
  assert.equal(j.ok, true);
});

test('GET /api/models lists the tiny model; its files are served, the optimizer is not', async () => {
  const list = (await (await fetch(`${S.url}/api/models`)).json()) as any[];
  assert.equal(list.length, 1);
  const m = list[0];
  assert.equal(m.name, 'tiny');
  assert.equal(m.size, 28);
  assert.equal(m.channels, 1);
  assert.equal(m.nz, 8);
  assert.equal(m.manifest.gWidth, 4);
  assert.deepEqual(m.samples, ['/models/tiny/samples/disc.png']);
  const g = await fetch(`${S.url}${m.generator}`);
  assert.equal(g.status, 200);
  const gj = (await g.json()) as any;
  assert.equal(gj.format, 'layers-model');
  const w = await fetch(`${S.url}/models/tiny/generator/weights.bin`);
  assert.equal(w.status, 200);
  assert.equal(w.headers.get('content-type'), 'application/octet-stream');
  assert.ok((await w.arrayBuffer()).byteLength > 100);
  assert.equal((await fetch(`${S.url}/models/tiny/samples/disc.png`)).status, 200);
  assert.equal((await fetch(`${S.url}/models/nope/manifest.json`)).status, 404);
  fs.mkdirSync(path.join(S.modelDir, 'optimizer'), { recursive: true });
  fs.writeFileSync(path.join(S.modelDir, 'optimizer', 'generator.json'), '{}');
  assert.equal((await fetch(`${S.url}/models/tiny/optimizer/generator.json`)).status, 404);
});

test('GET /api/config lists mask kinds and limits', async () => {
  const c = (await (await fetch(`${S.url}/api/config`)).json()) as any;
  assert.ok(c.maskKinds.some((k: any) => k.kind === 'center'));
  assert.equal(c.limits.maxBodyBytes, 1024 * 1024);
});

test('POST /api/inpaint streams progress to the end; the result differs from the input only inside the hole', async () => {
  const before = await serverTensors(S.url);
  const r = await post({
    model: 'tiny',
    image: await pngDataUrl(testImage()),
    mask: await pngDataUrl(squareMask()),
    maskConvention: 'known-white',
    options: { iters: 5, restarts: 2, seed: 3 },
  });
  assert.equal(r.status, 200, r.text);
  const events = parseSse(r.text);
  const names = events.map((e) => e.event);
  assert.equal(names[0], 'start');
  assert.equal(names.at(-1), 'result', r.text.slice(0, 300));
  const progress = events.filter((e) => e.event === 'progress');
  assert.equal(progress.at(-1)!.data.iter, 5);
  assert.equal(progress.at(-1)!.data.iters, 5);
  assert.ok(
    progress.some((p) => typeof p.data.preview === 'string' && p.data.preview.startsWith('data:image/png;base64,')),
  );
  const start = events[0]!.data;
  assert.equal(start.resize.resized, false);
  assert.equal(start.holeFraction, 64 / 784);
  const res = events.at(-1)!.data;
  const input = await pixels(res.input);
  const masked = await pixels(res.masked);
  assert.equal(input.width, 28);
  for (const key of ['composite', 'blended'] as const) {
    const out = await pixels(res[key]);
    let holeDiff = 0;
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const i = (y * 28 + x) * out.channels;
        const hole = y >= 10 && y < 18 && x >= 10 && x < 18;
        if (!hole) {
          assert.equal(out.data[i], input.data[i], `${key} (${x},${y}) outside the hole changed`);
          assert.equal(out.data[i], masked.data[i]);
        } else if (out.data[i] !== masked.data[i]) holeDiff++;
      }
    }
    assert.ok(holeDiff > 10, `${key}: only ${holeDiff} hole pixels differ from the masked input`);
  }
  // The returned mask is ours, in the request's convention: black exactly on the 8×8 square.
  const mk = await pixels(res.mask);
  assert.equal(mk.data[(12 * 28 + 12) * mk.channels], 0);
  assert.equal(mk.data[(2 * 28 + 2) * mk.channels], 255);
  assert.equal(typeof res.losses.contextual, 'number');
  assert.equal(await serverTensors(S.url), before, 'tensors leaked');
});

test('a mask kind instead of a PNG; an image of another size comes back at its own size, known pixels unchanged', async () => {
  const big = { data: new Float32Array(60 * 40 * 3).fill(0.3), n: 1, height: 40, width: 60, channels: 3 };
  const r = await post({
    model: 'tiny',
    image: await pngDataUrl(big),
    mask: { kind: 'center', seed: 1 },
    options: { iters: 2, restarts: 1 },
  });
  assert.equal(r.status, 200);
  const ev = parseSse(r.text);
  const start = ev[0]!.data;
  assert.deepEqual(start.resize, {
    from: { width: 60, height: 40 },
    to: { width: 28, height: 28 },
    fit: 'whole',
    regions: [{ left: 0, top: 0, width: 60, height: 40 }],
    resized: true,
  });
  const res = ev.at(-1)!;
  assert.equal(res.event, 'result');
  const p = await pixels(res.data.input);
  assert.deepEqual([p.width, p.height], [60, 40]);
  // RGB converted to the model's one channel: grey everywhere (the PNG may still store 3 channels).
  for (let i = 0; i < 60 * 40; i++)
    for (let c = 0; c < p.channels; c++) assert.equal(p.data[i * p.channels + c], Math.round(0.3 * 255));
  // Every result at the upload's size; outside the hole the blended result is the upload, byte for byte.
  const [m, b] = [await pixels(res.data.mask), await pixels(res.data.blended)];
  assert.deepEqual([b.width, b.height, m.width, m.height], [60, 40, 60, 40]);
  let holes = 0;
  for (let i = 0; i < 60 * 40; i++) {
    if (m.data[i * m.channels]! >= 128) {
      holes++;
      continue;
    } // white = hole (the default convention)
    assert.equal(b.data[i * b.channels], p.data[i * p.channels], `known pixel ${i} changed`);
  }
  assert.ok(holes > 100 && holes < (60 * 40) / 2, `${holes} hole pixels`);
  // fit crop: one region around the centre hole.
  const c = parseSse(
    (
      await post({
        model: 'tiny',
        image: await pngDataUrl(big),
        mask: { kind: 'center', seed: 1 },
        options: { iters: 2, restarts: 1, fit: 'crop' },
      })
    ).text,
  );
  assert.equal(c[0]!.data.resize.fit, 'crop');
  assert.equal(c[0]!.data.resize.regions.length, 1);
  assert.equal(c.at(-1)!.event, 'result');
});

async function expectError(body: unknown, status: number, re: RegExp, type?: string): Promise<void> {
  const r = await post(body, type);
  assert.equal(r.status, status, r.text);
  assert.match(r.headers.get('content-type') ?? '', /application\/json/);
  const j = JSON.parse(r.text) as { error: string };
  assert.match(j.error, re);
}

test('bad requests get 4xx JSON errors naming the problem', async () => {
  const img = await pngDataUrl(testImage());
  const mask = await pngDataUrl(squareMask());
  await expectError({ model: 'tiny', mask }, 400, /no image/);
  await expectError(
    JSON.stringify({ model: 'tiny', image: img, mask }),
    415,
    /content type must be application\/json/,
    'text/plain',
  );
  await expectError('{"model": ', 400, /not valid JSON/);
  await expectError({ model: 'nope', image: img, mask }, 404, /unknown model 'nope' \(valid: tiny\)/);
  await expectError(
    { model: 'tiny', image: img, mask: { kind: 'blob' } },
    400,
    /unknown mask kind 'blob' \(valid: center/,
  );
  await expectError({ model: 'tiny', image: 'data:image/png;base64,@@@@', mask }, 400, /image is not valid base64/);
  await expectError({ model: 'tiny', image: 'hello', mask }, 400, /image is not a data URL/);
  await expectError({ model: 'tiny', image: 'data:text/html;base64,AAAA', mask }, 400, /image has type 'text\/html'/);
  await expectError({ model: 'tiny', image: 'data:image/png;base64,AAAA', mask }, 400, /cannot decode image/);
  await expectError(
    { model: 'tiny', image: img, mask, options: { iters: 100000 } },
    400,
    /iters 100000 is above this server's limit/,
  );
  await expectError(
    { model: 'tiny', image: img, mask, options: { iters: 'many' } },
    400,
    /options\.iters: Expected number/,
  );
  await expectError(
    { model: 'tiny', image: img, mask, options: { speed: 1 } },
    400,
    /unknown key\(s\) 'options\.speed'/,
  );
  // The CLI's rule (pixels, from the header, before decoding), at the server's limit: 16 MP by default.
  const big = `data:image/png;base64,${(
    await sharp({ create: { width: 4001, height: 4000, channels: 3, background: '#fff' } })
      .png()
      .toBuffer()
  ).toString('base64')}`;
  await expectError(
    { model: 'tiny', image: big, mask: { kind: 'center' } },
    400,
    /image is 4001×4000 px \(16\.0 MP\), above this server's limit of 16\.0 MP \(serve --max-pixels\)/,
  );
  const r = await fetch(`${S.url}/api/inpaint`);
  assert.equal(r.status, 405);
});

test('a mask file of another size is resized to the image, every hole kept, as the CLI does (issue #31)', async () => {
  const img = await pngDataUrl(testImage());
  // Larger: a one-pixel hole at (20, 20) of a 56×56 mask, which nearest sampling (every odd pixel) would lose.
  const fine = { data: new Float32Array(56 * 56).fill(1), n: 1, height: 56, width: 56, channels: 1 };
  fine.data[20 * 56 + 20] = 0;
  // Smaller: squareMask(20) (hole rows/cols 10..17) brought up to 28×28.
  // Both sent (and the mask returned) in the default convention, white = hole: the files are the
  // Masks (1 = known) inverted.
  for (const m of [fine, squareMask(20)]) {
    const r = await post({
      model: 'tiny',
      image: img,
      mask: await pngDataUrl({ ...m, data: m.data.map((v) => 1 - v) }),
      options: { iters: 2, restarts: 1 },
    });
    assert.equal(r.status, 200, r.text);
    const res = parseSse(r.text).at(-1)!;
    assert.equal(res.event, 'result', r.text.slice(0, 300));
    assert.equal(res.data.maskConvention, 'hole-white');
    const got = await pixels(res.data.mask);
    assert.deepEqual([got.width, got.height], [28, 28]);
    const want = resizeMaskKeepHoles({ data: m.data, height: m.height, width: m.width }, 28, 28);
    const pixelsWhere = (d: ArrayLike<number>, step: number, hole: (v: number) => boolean) =>
      Array.from({ length: 784 }, (_, i) => i).filter((i) => hole(d[i * step]!));
    const wantHoles = pixelsWhere(want.data, 1, (v) => v < 0.5);
    assert.deepEqual(
      pixelsWhere(got.data, got.channels, (v) => v >= 128),
      wantHoles,
    );
    assert.ok(wantHoles.length > 0);
  }
});

test('a GIF upload is accepted, as the CLI reads GIF (issue #31): PNG, JPEG, WebP and GIF everywhere', async () => {
  const gif = await sharp(Buffer.from((await pngDataUrl(testImage())).split(',')[1]!, 'base64'))
    .gif()
    .toBuffer();
  for (const type of ['image/gif', 'image/png']) {
    const r = await post({
      model: 'tiny',
      image: `data:${type};base64,${gif.toString('base64')}`,
      mask: { kind: 'center' },
      options: { iters: 2, restarts: 1 },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(parseSse(r.text).at(-1)!.event, 'result', r.text.slice(0, 300));
  }
  const c = (await (await fetch(`${S.url}/api/config`)).json()) as any;
  assert.deepEqual(c.formats, ['png', 'jpeg', 'webp', 'gif']);
});

test('a body over the limit gets 413', async () => {
  const big = 'x'.repeat(1024 * 1024 + 10);
  await expectError(
    { model: 'tiny', image: big, mask: { kind: 'center' } },
    413,
    /larger than this server's limit of 1048576 bytes/,
  );
  // The server is still up.
  assert.equal((await fetch(`${S.url}/healthz`)).status, 200);
});

test('path traversal never reaches files outside the served folders', async () => {
  const paths = [
    '/models/tiny/../../../../../../etc/passwd',
    '/models/tiny/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    '/models/tiny/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '/models/tiny//etc/passwd',
    '/models/tiny/generator/..%5c..%5cmanifest.json',
    '/models/..%2f..%2fetc/passwd',
    '/models/tiny/samples/evil.png',
    '/../../../../etc/passwd',
    '//etc/passwd',
    '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    '/etc/passwd',
    '/leak.txt',
    '/run/../secret.txt',
    '/run/config.json',
    '/run/%2e%2e/secret.txt',
    '/models/tiny/%00manifest.json',
    '/models/tiny/%E0%A4%A',
  ];
  for (const p of paths) {
    const r = await rawGet(p);
    assert.ok(r.status === 403 || r.status === 404 || r.status === 400, `${p} → ${r.status}`);
    assert.ok(!r.body.includes('root:') && !r.body.includes(SECRET), `${p} leaked file contents`);
  }
  assert.equal((await rawGet('/models/tiny/samples/evil.png')).status, 403);
  assert.equal((await rawGet('/models/tiny/%2e%2e/secret.txt')).status, 403);
});

test('the page and its assets are served from the web root', async () => {
  const r = await rawGet('/');
  assert.equal(r.status, 200);
  assert.match(r.body, /hello page/);
  assert.match(r.headers['content-type'] ?? '', /text\/html/);
  assert.equal(r.headers['cross-origin-embedder-policy'], 'require-corp');
  const a = await rawGet('/assets/app.js');
  assert.equal(a.status, 200);
  assert.match(a.headers['content-type'] ?? '', /javascript/);
  assert.equal((await rawGet('/nothing.js')).status, 404);
});

test('the training view serves the run summary, sample grid and plot only', async () => {
  const j = (await (await fetch(`${S.url}/api/run`)).json()) as any;
  assert.equal(j.iterations, 2);
  assert.equal(j.last.wEstimate, 0.25);
  assert.equal(j.samples, '/run/samples/latest.png');
  const s = await fetch(`${S.url}/run/samples/latest.png`);
  assert.equal(s.status, 200);
  assert.equal(s.headers.get('content-type'), 'image/png');
  const p = await fetch(`${S.url}/run/plot.svg`);
  assert.equal(p.headers.get('content-type'), 'image/svg+xml');
  assert.equal((await fetch(`${S.url}/run/stats.jsonl`)).status, 404);
});

test('a job over the time limit ends with an error event', async () => {
  const T = await startTestServer({ limits: { jobTimeoutSec: 0.05 } });
  try {
    const before = await serverTensors(T.url);
    const r = await fetch(`${T.url}/api/inpaint`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'tiny',
        image: await pngDataUrl(testImage()),
        mask: { kind: 'center' },
        options: { iters: 3000, restarts: 1 },
      }),
    });
    const ev = parseSse(await r.text());
    assert.equal(ev.at(-1)!.event, 'error');
    assert.match(ev.at(-1)!.data.error, /time limit of 0.05 s/);
    assert.ok(ev.filter((e) => e.event === 'progress').at(-1)!.data.iter < 3000);
    assert.equal(await serverTensors(T.url), before, 'tensors leaked by an aborted job');
  } finally {
    await T.stop();
  }
});

test('a second job waits in line (queued event); closing the connection cancels a running job', async () => {
  const T = await startTestServer({ limits: { maxRunning: 1, maxWaiting: 2 } });
  try {
    const before = await serverTensors(T.url);
    const body = (iters: number) =>
      JSON.stringify({ model: 'tiny', image: 'IMG', mask: { kind: 'center' }, options: { iters, restarts: 1 } });
    const img = await pngDataUrl(testImage());
    const send = (iters: number, signal?: AbortSignal) =>
      fetch(`${T.url}/api/inpaint`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: body(iters).replace('"IMG"', JSON.stringify(img)),
        ...definedKeys({ signal }),
      });
    const ac = new AbortController();
    const long = await send(3000, ac.signal);
    // Wait until the long job streams progress, so it holds the only slot.
    const reader = long.body!.getReader();
    const dec = new TextDecoder();
    let seen = '';
    while (!seen.includes('event: progress')) seen += dec.decode((await reader.read()).value);
    const second = send(3);
    // Poll until the second request is parsed and in line (bounded: 10 s).
    let jobs: unknown;
    for (let i = 0; i < 200; i++) {
      jobs = ((await (await fetch(`${T.url}/healthz`)).json()) as any).jobs;
      if ((jobs as { waiting: number }).waiting === 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(jobs, { running: 1, waiting: 1 });
    ac.abort(); // the client goes away: the long job stops and the waiting one runs
    const ev = parseSse(await (await second).text());
    assert.deepEqual(ev[0], { event: 'queued', data: { position: 1 } });
    assert.equal(ev.at(-1)!.event, 'result');
    assert.deepEqual(((await (await fetch(`${T.url}/healthz`)).json()) as any).jobs, { running: 0, waiting: 0 });
    assert.equal(await serverTensors(T.url), before, 'tensors leaked by a cancelled job');
  } finally {
    await T.stop();
  }
});

test('an mlp checkpoint is served and completes through POST /api/inpaint', async () => {
  const T = await startTestServer({}, 'mlp');
  try {
    const models = (await (await fetch(`${T.url}/api/models`)).json()) as {
      name: string;
      size: number;
      nz: number;
      manifest: { model: string };
    }[];
    assert.deepEqual(
      models.map((m) => [m.name, m.size, m.nz, m.manifest.model]),
      [['tiny', 28, 8, 'mlp']],
    );
    // The page's path: tf.loadLayersModel on the served model.json URLs (custom layers registered).
    const t0 = tf.memory().numTensors;
    const [g, d] = await Promise.all([
      tf.loadLayersModel(`${T.url}/models/tiny/generator/model.json`),
      tf.loadLayersModel(`${T.url}/models/tiny/critic/model.json`),
    ]);
    const score = tf.tidy(() => (d.predict(g.predict(tf.zeros([1, 8])) as tf.Tensor) as tf.Tensor).shape);
    assert.deepEqual(score, [1, 1]);
    g.dispose();
    d.dispose();
    assert.equal(tf.memory().numTensors, t0);
    const r = await fetch(`${T.url}/api/inpaint`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'tiny',
        image: await pngDataUrl(testImage()),
        mask: { kind: 'center' },
        options: { iters: 4, restarts: 1 },
      }),
    });
    const ev = parseSse(await r.text());
    assert.equal(ev.at(-1)!.event, 'result', JSON.stringify(ev.at(-1)));
    assert.equal(typeof ev.at(-1)!.data.losses.prior, 'number');
  } finally {
    await T.stop();
  }
});

test('a model with an encoder: listed with its files and digest, searches start from it with its defaults; init random/encoder; a stale encoder is refused', async () => {
  const T = await startTestServer({}, 'dcgan', true);
  try {
    const [m] = (await (await fetch(`${T.url}/api/models`)).json()) as any[];
    assert.equal(m.encoder.model, '/models/tiny/encoder/model.json');
    assert.match(m.encoder.digest, /^sha256:[0-9a-f]{64}$/);
    for (const f of ['model.json', 'weights.bin', 'manifest.json'])
      assert.equal((await fetch(`${T.url}/models/tiny/encoder/${f}`)).status, 200, f);
    // The browser's path: plain TF.js loads the encoder.
    const E = await tf.loadLayersModel(`${T.url}${m.encoder.model}`);
    assert.deepEqual(E.outputs[0]!.shape, [null, 8]);
    E.dispose();
    const cfg = (await (await fetch(`${T.url}/api/config`)).json()) as any;
    assert.deepEqual(cfg.defaults.encoder, { iters: 100, restarts: 1 });
    const run = async (options: object) => {
      const r = await fetch(`${T.url}/api/inpaint`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'tiny',
          image: await pngDataUrl(testImage()),
          mask: { kind: 'center' },
          options,
        }),
      });
      return { status: r.status, events: parseSse(await r.text()) };
    };
    // Defaults from the encoder's z: 100 iterations × 1 restart; the first preview comes at iteration 0.
    const a = await run({});
    assert.equal(a.events[0]!.data.start, 'encoder');
    assert.deepEqual([a.events[0]!.data.iters, a.events[0]!.data.restarts], [100, 1]);
    const first = a.events.find((e) => e.event === 'progress' && e.data.preview);
    assert.equal(first!.data.iter, 0);
    assert.equal(a.events.at(-1)!.event, 'result');
    // init random: the CLI's defaults (1000 × 4, issue #31); given values win.
    const b = await run({ init: 'random', iters: 3 });
    assert.deepEqual([b.events[0]!.data.start, b.events[0]!.data.iters, b.events[0]!.data.restarts], ['random', 3, 4]);
  } finally {
    await T.stop();
  }
  // A model without an encoder: init encoder is a 400 naming the model; an encoder for another generator is not served.
  const U = await startTestServer();
  try {
    const r = await fetch(`${U.url}/api/inpaint`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'tiny',
        image: await pngDataUrl(testImage()),
        mask: { kind: 'center' },
        options: { init: 'encoder' },
      }),
    });
    assert.equal(r.status, 400);
    assert.match(((await r.json()) as any).error, /init 'encoder'.*model 'tiny' has no encoder/);
    await addTinyEncoder(U.modelDir, true);
    const notices: string[] = [];
    const [served] = await loadServedModels([U.modelDir], (n) => notices.push(n));
    assert.equal(served!.encoder, null);
    assert.match(notices.join('\n'), /served without its encoder: encoder .* was trained for another generator/);
    // The running server took the model without one: the encoder files written since are not served.
    assert.equal((await fetch(`${U.url}/models/tiny/encoder/model.json`)).status, 404);
    assert.equal(
      (await fetch(`${U.url}/models/tiny/%65ncoder/model.json`)).status,
      404,
      'an encoded segment names the same folder',
    );
  } finally {
    await U.stop();
  }
});

test('serve --encoder DIR: an encoder kept outside the model is listed, served at /models/<name>/encoder/ and started from; for another generator or several models it is refused', async () => {
  const U = await startTestServer();
  const notices: string[] = [];
  let T: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    // The encoder in a folder of its own; the model folder has none.
    const outside = path.join(U.tmp, 'my-encoder');
    fs.renameSync(await addTinyEncoder(U.modelDir), outside);
    assert.equal(fs.existsSync(path.join(U.modelDir, 'encoder')), false);
    const models = await loadServedModels([U.modelDir], (n) => notices.push(n), { encoder: outside });
    assert.equal(models[0]!.encoder!.dir, path.resolve(outside));
    T = await startServer({ models, backend: 'cpu' }, 0, '127.0.0.1');
    const [m] = (await (await fetch(`${T.url}/api/models`)).json()) as any[];
    assert.equal(m.encoder.model, '/models/tiny/encoder/model.json');
    const served = Buffer.from(await (await fetch(`${T.url}/models/tiny/encoder/weights.bin`)).arrayBuffer());
    assert.deepEqual(served, fs.readFileSync(path.join(outside, 'weights.bin')));
    const r = await fetch(`${T.url}/api/inpaint`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'tiny',
        image: await pngDataUrl(testImage()),
        mask: { kind: 'center' },
        options: { iters: 2 },
      }),
    });
    const ev = parseSse(await r.text());
    assert.equal(ev[0]!.data.start, 'encoder');
    assert.equal(ev.at(-1)!.event, 'result', JSON.stringify(ev.at(-1)));
    // Asked for by name, a wrong encoder is an error (not a notice and a model served without it).
    const stale = path.join(U.tmp, 'stale-encoder');
    fs.renameSync(await addTinyEncoder(U.modelDir, true), stale);
    await assert.rejects(
      loadServedModels([U.modelDir], () => {}, { encoder: stale }),
      /was trained for another generator/,
    );
    await assert.rejects(
      loadServedModels([U.modelDir, U.modelDir], () => {}, { encoder: outside }),
      /--encoder is for one model, but 2 would be served/,
    );
    await assert.rejects(
      loadServedModels([U.modelDir], () => {}, { encoder: path.join(U.tmp, 'nowhere') }),
      /encoder folder '.*nowhere' does not exist/,
    );
    assert.deepEqual(notices, []);
  } finally {
    await T?.close();
    await U.stop();
  }
});
