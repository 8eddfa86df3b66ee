/**
 * The server under hostile or careless clients (issue #16): slow bodies are shed, uploads are
 * accepted by signature only, a full queue answers before decoding, a busy port or bad host is one
 * line, the Host header is checked and the model manifest is served as a public subset.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import sharp from 'sharp';
import { startTestServer, pngDataUrl, testImage, parseSse, type TestServer } from '../testing/server_fixture.js';
import { startServer, hostOf, defaultAllowedHosts } from './server.js';
import { loadServedModels } from './models.js';
import { main } from '../cli/run.js';
import { UserError } from '../util/errors.js';
import { SVG_BYTES, TIFF_SIGNATURE } from '../testing/crafted.js';

let S: TestServer;
before(async () => {
  S = await startTestServer({ limits: { headerTimeoutSec: 0.3, bodyTimeoutSec: 0.3, maxConnectionsPerAddress: 4 } });
});
after(async () => S.stop());

const port = () => Number(new URL(S.url).port);

/** Send raw bytes; resolve with what the server answered and whether it closed the socket, within `ms` at most. */
function rawExchange(
  write: (s: net.Socket) => void,
  ms = 10_000,
  to = port(),
): Promise<{ answer: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(to, '127.0.0.1');
    let answer = '';
    const t = setTimeout(() => {
      s.destroy();
      resolve({ answer, closed: false });
    }, ms);
    s.on('data', (d) => (answer += d));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(t);
      resolve({ answer, closed: true });
    });
    s.on('connect', () => write(s));
  });
}

test('6. a client that sends its body one byte at a time is answered 408 and closed at the body timeout', async () => {
  let drip: NodeJS.Timeout | undefined;
  const r = await rawExchange((s) => {
    s.write(
      `POST /api/inpaint HTTP/1.1\r\nHost: 127.0.0.1:${port()}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{`,
    );
    drip = setInterval(() => s.writable && s.write(' '), 100);
  });
  clearInterval(drip);
  // Closed by the server (not by the 10 s guard), with the 408 of Node's request timeout.
  assert.ok(r.closed, 'the slow client was never closed');
  assert.match(r.answer, /^HTTP\/1\.1 408/);
  // Slow headers keep their 408.
  const h = await rawExchange((s) => s.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n`));
  assert.ok(h.closed);
  assert.match(h.answer, /^HTTP\/1\.1 408/);
  assert.equal((await fetch(`${S.url}/healthz`)).status, 200);
});

test('6. one address holds at most maxConnectionsPerAddress connections; more get 429 or are closed', async () => {
  // Its own server with a long header timeout: with this file's 0.3 s one, the idle connections could
  // be timed out (408) before the over-the-limit ones arrive on a loaded machine.
  const T = await startTestServer({
    limits: { headerTimeoutSec: 30, bodyTimeoutSec: 30, maxConnectionsPerAddress: 4 },
  });
  const tport = Number(new URL(T.url).port);
  try {
    const idle: net.Socket[] = [];
    for (let i = 0; i < 4; i++) {
      const s = net.connect(tport, '127.0.0.1');
      s.on('error', () => {});
      idle.push(s);
    }
    await Promise.all(idle.map((s) => new Promise((r) => s.once('connect', r))));
    // A fifth connection that asks something is told why.
    const fifth = await rawExchange(
      (s) => s.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`),
      10_000,
      tport,
    );
    assert.match(fifth.answer, /^HTTP\/1\.1 429/);
    assert.match(fifth.answer, /more than 4 connections open from .*limit per address/);
    // One that says nothing is closed.
    const silent = await rawExchange(() => {}, 10_000, tport);
    assert.ok(silent.closed);
    assert.equal(silent.answer, '');
    for (const s of idle) s.destroy();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await fetch(`${T.url}/healthz`)).status, 200);
  } finally {
    await T.stop();
  }
});

async function post(body: unknown): Promise<{ status: number; text: string }> {
  const r = await fetch(`${S.url}/api/inpaint`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: r.status, text: await r.text() };
}

test('8. SVG and TIFF uploads are refused by their signature, whatever the data URL says (GIF is accepted, as by the CLI: server.test)', async () => {
  const tiff = new Uint8Array(
    await sharp({ create: { width: 28, height: 28, channels: 3, background: '#f00' } })
      .tiff()
      .toBuffer(),
  );
  assert.deepEqual(Array.from(tiff.subarray(0, 4)), Array.from(TIFF_SIGNATURE.subarray(0, 4)));
  for (const [bytes, re] of [
    [SVG_BYTES, /the data is not one of the accepted formats \(PNG, JPEG, WEBP, GIF\)/],
    [tiff, /the data is not one of the accepted formats/],
  ] as const) {
    const r = await post({
      model: 'tiny',
      image: `data:image/png;base64,${Buffer.from(bytes).toString('base64')}`,
      mask: { kind: 'center' },
    });
    assert.equal(r.status, 400, r.text);
    assert.match(JSON.parse(r.text).error, new RegExp(`^cannot decode image: ${re.source}`));
  }
  // A mask PNG that is really an SVG too.
  const img = await pngDataUrl(testImage());
  const r = await post({
    model: 'tiny',
    image: img,
    mask: `data:image/png;base64,${Buffer.from(SVG_BYTES).toString('base64')}`,
  });
  assert.equal(r.status, 400);
  assert.match(
    JSON.parse(r.text).error,
    /^cannot decode mask: the data is not one of the accepted formats \(PNG, JPEG, WEBP, GIF\)/,
  );
});

test('8. a full queue answers 429 before the image is decoded', async () => {
  const T = await startTestServer({ limits: { maxRunning: 1, maxWaiting: 0 } });
  try {
    const ac = new AbortController();
    const long = await fetch(`${T.url}/api/inpaint`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      signal: ac.signal,
      body: JSON.stringify({
        model: 'tiny',
        image: await pngDataUrl(testImage()),
        mask: { kind: 'center' },
        options: { iters: 3000, restarts: 1 },
      }),
    });
    const reader = long.body!.getReader();
    let seen = '';
    while (!seen.includes('event: progress')) seen += new TextDecoder().decode((await reader.read()).value);
    // Undecodable: with the decode first this would be a 400; the queue is checked first.
    const r = await fetch(`${T.url}/api/inpaint`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tiny', image: 'data:image/png;base64,AAAA', mask: { kind: 'center' } }),
    });
    assert.equal(r.status, 429);
    assert.match(((await r.json()) as { error: string }).error, /server busy/);
    ac.abort();
  } finally {
    await T.stop();
  }
});

test("7. options out of the shared schema's range are 400s naming them", async () => {
  const img = await pngDataUrl(testImage());
  for (const [options, re] of [
    [{ lambda: 1e308 }, /options\.lambda must be ≤ 1000, got 1e\+308/],
    [{ lr: 5 }, /options\.lr must be ≤ 1, got 5/],
    [{ window: 4 }, /options\.window must be odd, got 4/],
    [{ restarts: 17 }, /options\.restarts 17 is above this server's limit of 16/],
    [{ refine: 'generator', refineIters: 3001 }, /options\.refineIters 3001 is above this server's limit of 3000/],
    [{ progressEvery: 1 }, /unknown key\(s\) 'options\.progressEvery'/],
  ] as const) {
    const r = await post({ model: 'tiny', image: img, mask: { kind: 'center' }, options });
    assert.equal(r.status, 400, r.text);
    assert.match(JSON.parse(r.text).error, re);
  }
});

test('9. a busy port or an unknown host is one line naming them (startServer and `serve`)', async () => {
  const models = await loadServedModels([S.modelDir]);
  await assert.rejects(
    startServer({ models, backend: 'cpu' }, port(), '127.0.0.1'),
    (e: Error) =>
      e instanceof UserError &&
      e.message === `cannot listen on 127.0.0.1:${port()}: the port is already in use (another server?) (EADDRINUSE)`,
  );
  await assert.rejects(
    startServer({ models, backend: 'cpu' }, 0, 'no-such-host.invalid'),
    (e: Error) =>
      e instanceof UserError &&
      /^cannot listen on no-such-host\.invalid:0: (no such host \(ENOTFOUND\)|the host name cannot be resolved \(EAI_AGAIN\))$/.test(
        e.message,
      ),
  );
  await assert.rejects(
    main(['serve', '--port', String(port()), '--model', S.modelDir, '--backend', 'cpu']),
    (e: Error) =>
      e instanceof UserError && /cannot listen on 127\.0\.0\.1:\d+: the port is already in use/.test(e.message),
  );
  await assert.rejects(
    main(['serve', '--host', 'bad host!', '--model', S.modelDir]),
    (e: Error) => e instanceof UserError && /--host must be an address or host name, got 'bad host!'/.test(e.message),
  );
});

test('10. only requests whose Host names this server are answered (DNS rebinding)', async () => {
  const get = (host: string) =>
    rawExchange((s) => s.write(`GET /api/models HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
  for (const ok of [`127.0.0.1:${port()}`, `localhost:${port()}`, `[::1]:${port()}`, 'LOCALHOST'])
    assert.match((await get(ok)).answer, /^HTTP\/1\.1 200/, ok);
  const evil = await get(`evil.example:${port()}`);
  assert.match(evil.answer, /^HTTP\/1\.1 403/);
  assert.match(evil.answer, /host 'evil\.example' is not a name this server answers to/);
  assert.deepEqual(['[::1]:80', 'Example.COM:8080', 'a.b.', '127.0.0.1'].map(hostOf), [
    '::1',
    'example.com',
    'a.b',
    '127.0.0.1',
  ]);
  assert.deepEqual(defaultAllowedHosts('127.0.0.1'), ['127.0.0.1', 'localhost', '::1']);
  assert.ok(defaultAllowedHosts('0.0.0.0').includes('127.0.0.1'));
  assert.deepEqual(defaultAllowedHosts('192.168.1.5'), ['192.168.1.5']);
});

test('10. /models/<name>/manifest.json is the public part: no command lines, notes or local paths', async () => {
  const T = await startTestServer();
  try {
    // Give the model the private fields a real training run records, then serve it again.
    const file = path.join(T.modelDir, 'manifest.json');
    const m = JSON.parse(fs.readFileSync(file, 'utf8'));
    Object.assign(m, {
      command: 'wgan-inpaint train --data /home/alice/photos --out runs/x',
      resumes: ['wgan-inpaint train --resume'],
      extra: { note: 'private' },
      sampler: { pos: 3 },
      rngState: 7,
      backend: 'native',
      dataset: { name: "'/home/alice/photos'", split: 'train', n: 5, size: 28, channels: 1 },
    });
    m.config.data = '/home/alice/photos';
    m.config.classifier = '/home/alice/clf';
    fs.writeFileSync(file, JSON.stringify(m));
    const U = await startServer({ models: await loadServedModels([T.modelDir]), backend: 'cpu' }, 0, '127.0.0.1');
    try {
      const text = await (await fetch(`${U.url}/models/${path.basename(T.modelDir)}/manifest.json`)).text();
      const pub = JSON.parse(text);
      assert.ok(!/alice|resume|private|command|sampler|rngState/.test(text), text);
      assert.equal(pub.config.data, 'photos');
      assert.equal(pub.dataset.name, 'photos');
      assert.equal(pub.step, 0);
      assert.equal(pub.config.size, 28);
      const info = (await (await fetch(`${U.url}/api/models`)).json()) as {
        manifest: { data: string; dataset?: string };
      }[];
      assert.equal(info[0]!.manifest.data, 'photos');
      assert.ok(!JSON.stringify(info).includes('alice'));
      // The page's files are still served as they are.
      assert.equal((await fetch(`${U.url}/models/${path.basename(T.modelDir)}/generator/model.json`)).status, 200);
    } finally {
      await U.close();
    }
  } finally {
    await T.stop();
  }
});

test('a resized upload is completed by the shared fit policy (the same as the page and the CLI) and returned at its size', async () => {
  const big = { data: new Float32Array(40 * 60).fill(0.5), n: 1, height: 40, width: 60, channels: 1 };
  const r = await post({
    model: 'tiny',
    image: await pngDataUrl(big),
    mask: { kind: 'center' },
    options: { iters: 2, restarts: 1 },
  });
  const ev = parseSse(r.text);
  assert.deepEqual(ev.find((e) => e.event === 'start')!.data.resize, {
    from: { width: 60, height: 40 },
    to: { width: 28, height: 28 },
    fit: 'whole',
    regions: [{ left: 0, top: 0, width: 60, height: 40 }],
    resized: true,
  });
  assert.equal(ev.at(-1)!.event, 'result');
});
