import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from './run.js';
import { MODELS_DIR } from '../io/paths.js';
import { loadCheckpoint } from '../encoder/checkpoint.js';
import { readImage } from '../io/image.js';
import { makeMask } from '../masks/masks.js';
import { inpaint } from '../inpaint/inpaint.js';
import { testBackend } from '../testing/fixtures.js';
import { attachEncoder } from '../encoder/checkpoint.js';

// The shipped models: a broken or missing model file must fail CI.
const SHIPPED = ['fashion-mnist', 'emoji', 'faces'];

for (const name of SHIPPED) {
  test(`shipped model '${name}': manifest says how it was trained; it inpaints a bundled held-out image`, async () => {
    await testBackend();
    const ck = await loadCheckpoint(name);
    assert.equal(path.resolve(ck.dir), path.join(MODELS_DIR, name));
    const m = ck.manifest;
    assert.ok(m.step > 0, 'trained for some iterations');
    assert.match(m.command ?? '', /^wgan-inpaint train /);
    assert.ok((m.trainSeconds ?? 0) > 0);
    assert.ok(m.backend);
    assert.equal(m.dataset?.split, 'train');
    const extra = (m.extra ?? {}) as {
      gitCommit?: string;
      data?: { source?: string; licence?: string };
      eval?: { n?: number; results?: unknown };
    };
    assert.match(String(extra.gitCommit ?? ''), /^[0-9a-f]{40}$/);
    // Where the data came from, under which licence (each source's, for sets of several).
    assert.ok(extra.data?.source && extra.data.licence, 'extra.data: source and licence');
    for (const src of m.dataset?.sources ?? [])
      assert.ok(src.licence && src.attribution && src.packages.length, `dataset source ${src.name}`);
    // Its evaluation figures.
    assert.ok((extra.eval?.n ?? 0) > 0 && extra.eval?.results, 'extra.eval: the evaluation figures');
    // Its encoder, if it has one, belongs to this generator.
    if (fs.existsSync(path.join(ck.dir, 'encoder')))
      assert.equal((await attachEncoder(ck, 'encoder', undefined, name)).start, 'encoder');
    // Small enough to ship.
    const bytes = ['generator', 'critic'].reduce(
      (a, p) => a + fs.statSync(path.join(ck.dir, p, 'weights.bin')).size,
      0,
    );
    assert.ok(bytes < 10 * 2 ** 20, `${bytes} bytes`);
    const samples = fs.readdirSync(path.join(ck.dir, 'samples')).filter((f) => f.endsWith('.png'));
    assert.ok(samples.length >= 4);
    assert.ok(fs.existsSync(path.join(ck.dir, 'samples', 'LICENSE.txt')));
    const c = m.config;
    const y = await readImage(path.join(ck.dir, 'samples', samples[0]!), { channels: c.channels, size: c.size });
    const mask = makeMask('center', c.size, c.size);
    const r = await inpaint(ck, y, mask, { iters: 5, restarts: 1 });
    for (let i = 0; i < y.data.length; i++)
      if (mask.data[Math.floor(i / c.channels)] === 1) assert.equal(r.composite.data[i], y.data[i]);
    assert.ok(r.losses.every((l) => Number.isFinite(l.total)));
  });
}

test('demo writes an HTML page and one grid per model and mask kind', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-demo-'));
  assert.equal(await main(['demo', '--out', out, '--iters', '3', '--restarts', '1']), 0);
  const html = fs.readFileSync(path.join(out, 'index.html'), 'utf8');
  // Each model's default start: fashion-mnist ships an encoder.
  assert.match(html, /fashion-mnist<\/h2><p>[^<]*from the model's encoder's z/);
  for (const name of SHIPPED) {
    for (const kind of ['center', 'left', 'pattern', 'random']) {
      assert.ok(fs.existsSync(path.join(out, `${name}-${kind}.png`)), `${name}-${kind}.png`);
      assert.match(html, new RegExp(`${name}-${kind}\\.png`));
    }
  }
  await assert.rejects(main(['demo', '--model', 'nope', '--out', out]), /unknown shipped model 'nope'/);
  // Flags from the schema: bounds and number syntax name the flag.
  await assert.rejects(
    main(['demo', '--iters', '0', '--out', out]),
    /demo: --iters: Number must be greater than or equal to 1/,
  );
  await assert.rejects(main(['demo', '--restarts', '1.5', '--out', out]), /--restarts must be an integer, got '1\.5'/);
});
