/**
 * The server, hardening II (issue #30): every manifest under /models/ is served as its public part
 * (the encoder's too), and the body timeout counts from the end of the headers, as documented.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startTestServer } from '../testing/server_fixture.js';
import { parseEncoderManifest } from '../encoder/manifest.js';

test('30.7 /models/<name>/encoder/manifest.json is the public part: no command lines, notes or local paths', async () => {
  const T = await startTestServer({}, 'dcgan', true);
  try {
    // Give the encoder the private fields a real train-encoder run records.
    const file = path.join(T.modelDir, 'encoder', 'manifest.json');
    const m = JSON.parse(fs.readFileSync(file, 'utf8'));
    Object.assign(m, {
      command: 'wgan-inpaint train-encoder --model /home/alice/runs/x --data /home/alice/photos --out /home/alice/enc',
      resumes: ['wgan-inpaint train-encoder --resume /home/alice/enc'],
      extra: { note: 'private' },
      sampler: { pos: 3 },
      rngState: 7,
      backend: 'native',
      dataset: { name: "'/home/alice/photos'", split: 'train', n: 5, size: 28, channels: 1 },
      metrics: { iter: 1, loss: 0.5 },
      trainSeconds: 3,
    });
    m.generator.model = '/home/alice/runs/x';
    m.config = { ...m.config, model: '/home/alice/runs/x', data: '/home/alice/photos', iters: 1 };
    fs.writeFileSync(file, JSON.stringify(m));
    const url = `${T.url}/models/${path.basename(T.modelDir)}/encoder/manifest.json`;
    const r = await fetch(url);
    assert.equal(r.status, 200);
    const text = await r.text();
    assert.ok(!/alice|resume|private|command|sampler|rngState|native/.test(text), text);
    const pub = JSON.parse(text);
    assert.equal(pub.config.data, 'photos');
    assert.equal(pub.config.model, 'x');
    assert.equal(pub.generator.model, 'x');
    assert.equal(pub.dataset.name, 'photos');
    assert.equal(pub.config.iters, 1);
    assert.deepEqual(pub.metrics, { iter: 1, loss: 0.5 });
    // Still what the page needs: a valid encoder manifest naming the generator's digest.
    assert.equal(parseEncoderManifest(pub, url).generator.digest, m.generator.digest);
    // The model's own manifest still goes through the same public filter.
    assert.ok(
      !/command/.test(await (await fetch(`${T.url}/models/${path.basename(T.modelDir)}/manifest.json`)).text()),
    );
  } finally {
    await T.stop();
  }
});

test('30.9 the body timeout counts from the end of the headers: a slow body is closed at --body-timeout, not header + body', async () => {
  // A long header timeout and a short body one: with the timer started at the request's first byte
  // (Node's requestTimeout = header + body) this client would be served for 30 s.
  const T = await startTestServer({ limits: { headerTimeoutSec: 30, bodyTimeoutSec: 0.3 } });
  const port = Number(new URL(T.url).port);
  try {
    const r = await new Promise<{ answer: string; closed: boolean }>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      let answer = '';
      let drip: NodeJS.Timeout | undefined;
      // The guard: far above the 0.3 s limit, far below the 30.3 s one.
      const t = setTimeout(() => {
        clearInterval(drip);
        s.destroy();
        resolve({ answer, closed: false });
      }, 10_000);
      s.on('data', (x) => (answer += x));
      s.on('error', () => {});
      s.on('close', () => {
        clearTimeout(t);
        clearInterval(drip);
        resolve({ answer, closed: true });
      });
      s.on('connect', () => {
        s.write(
          `POST /api/inpaint HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{`,
        );
        drip = setInterval(() => s.writable && s.write(' '), 100);
      });
    });
    assert.ok(r.closed, 'the slow body was not cut off at the body timeout');
    assert.match(r.answer, /^HTTP\/1\.1 408/);
    assert.equal((await fetch(`${T.url}/healthz`)).status, 200);
  } finally {
    await T.stop();
  }
});
