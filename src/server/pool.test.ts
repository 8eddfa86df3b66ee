import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InpaintPool } from './pool.js';
import { makeTinyModel, testImage } from '../testing/server_fixture.js';
import { makeMask } from '../masks/masks.js';
import { resolveInpaintOptions } from '../inpaint/options.js';

test('a worker that does not stop in time is replaced, and the next job runs on the new one', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-pool-'));
  // graceMs 0: the worker is terminated before it can even read the abort message.
  const pool = new InpaintPool(
    1,
    { backend: 'cpu', models: [{ name: 'tiny', dir: await makeTinyModel(path.join(tmp, 'tiny')) }] },
    0,
  );
  try {
    assert.equal(await pool.ready(), 'cpu');
    const job = (iters: number) => ({
      model: 'tiny',
      image: testImage(),
      mask: makeMask('center', 28, 28),
      options: resolveInpaintOptions({ iters, restarts: 1 }),
    });
    const ac = new AbortController();
    let progressed = 0;
    const long = pool.run(
      job(100000),
      () => {
        if (++progressed === 1) ac.abort();
      },
      ac.signal,
    );
    await assert.rejects(long, /inpainting aborted/);
    const seen: number[] = [];
    const r = await pool.run(job(3), (p) => seen.push(p.iter), new AbortController().signal);
    assert.equal(r.composite.width, 28);
    assert.equal(seen.at(-1), 3);
    await assert.rejects(
      pool.run({ ...job(1), model: 'nope' }, () => {}, new AbortController().signal),
      /unknown model 'nope'/,
    );
  } finally {
    await pool.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
