/**
 * The server, hardening II (issue #30): every manifest under /models/ is served as its public part
 * (the encoder's too), and the body timeout counts from the end of the headers, as documented.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
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
      resumes: ['wgan-inpaint train-encoder --resume /home/alice/enc'], extra: { note: 'private' }, sampler: { pos: 3 }, rngState: 7, backend: 'native',
      dataset: { name: "'/home/alice/photos'", split: 'train', n: 5, size: 28, channels: 1 },
      metrics: { iter: 1, loss: 0.5 }, trainSeconds: 3,
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
    assert.ok(!/command/.test(await (await fetch(`${T.url}/models/${path.basename(T.modelDir)}/manifest.json`)).text()));
  } finally {
    await T.stop();
  }
});
