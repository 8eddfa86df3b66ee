/**
 * Dev tool: a screenshot of the page after an inpaint, for the README (docs/screenshot.png).
 *
 *   node dist/tools/screenshot.js [--model REF] [--out docs/screenshot.png] [--iters 300] [--run DIR]
 *
 * Without --model it uses a tiny untrained model (the fixture of the tests) with Fashion-MNIST test
 * images as samples when Debian's dataset-fashion-mnist is installed; retake it with a trained model
 * (e.g. the shipped one) for a picture worth showing. Needs the built page and /usr/bin/chromium.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { parseArgs } from 'node:util';
import { initBackend } from '../src/backends/index.js';
import { parseIdx } from '../src/data/idx.js';
import { encodePng } from '../src/io/image.js';
import { loadServedModels } from '../src/server/models.js';
import { startServer, WEB_ROOT } from '../src/server/server.js';
import { makeTinyModel } from '../src/testing/server_fixture.js';
import { dragOn, launchChromium } from '../src/testing/browser.js';

const { values: v } = parseArgs({
  options: {
    model: { type: 'string' },
    out: { type: 'string', default: 'docs/screenshot.png' },
    iters: { type: 'string', default: '300' },
    run: { type: 'string' },
    backend: { type: 'string', default: 'auto' },
  },
});

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-shot-'));
let ref = v.model;
if (!ref) {
  ref = await makeTinyModel(path.join(tmp, 'demo'));
  const fm = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz';
  if (fs.existsSync(fm)) {
    const idx = parseIdx(zlib.gunzipSync(fs.readFileSync(fm)), fm);
    for (const i of [0, 1, 2]) {
      const px = idx.data.subarray(i * 784, (i + 1) * 784);
      const data = Float32Array.from(px, (b) => Number(b) / 255);
      fs.writeFileSync(
        path.join(ref, 'samples', `fashion-${i}.png`),
        await encodePng({ data, n: 1, height: 28, width: 28, channels: 1 }),
      );
    }
    fs.rmSync(path.join(ref, 'samples', 'disc.png'));
  }
}
const backend = await initBackend(v.backend);
const models = await loadServedModels([ref]);
const S = await startServer({ models, webRoot: WEB_ROOT, backend, ...(v.run ? { runDir: v.run } : {}) }, 0);
const profile = path.join(tmp, 'profile');
const ctx = await launchChromium(profile, { width: 1180, height: 900 });
try {
  const page = await ctx.newPage();
  await page.goto(S.url);
  await page.waitForFunction(() => document.body.dataset.state === 'ready');
  await page.fill('#iters', v.iters!);
  await dragOn(page, '#mask-canvas', 0.25, 0.4, 0.75, 0.45, 10);
  await dragOn(page, '#mask-canvas', 0.3, 0.6, 0.7, 0.55, 10);
  await page.click('#go');
  await page.waitForFunction(() => document.body.dataset.state !== 'running', null, { timeout: 600_000 });
  console.log(await page.textContent('#status'));
  fs.mkdirSync(path.dirname(v.out!), { recursive: true });
  await page.screenshot({ path: v.out!, fullPage: true });
  if (v.run) {
    await page.click('#tab-training');
    await new Promise((r) => setTimeout(r, 1500));
    await page.screenshot({ path: v.out!.replace(/\.png$/, '-training.png'), fullPage: true });
  }
} finally {
  await ctx.close();
  await S.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}
