/**
 * Part of `npm run bench -- inpaint`: a shipped model completing ONE real image with its defaults
 * (the encoder's start when it has one), model load excluded — on the Node backends, then a batch of
 * --batch images (default 32, the bundled samples in turn) per image, then in headless Chromium on the
 * page's own backends. `--options JSON` overrides the defaults on the Node backends (validated as the
 * API validates them), e.g. a refinement setting: `--options '{"iters":0,"refine":"generator"}'`.
 * See bench/inpaint.ts for the flags.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadGanCheckpoint, resolveCheckpointDir } from '../src/train/checkpoint.js';
import { attachEncoder } from '../src/encoder/checkpoint.js';
import { inpaint } from '../src/inpaint/inpaint.js';
import { resolveInpaintOptions, type InpaintOptions } from '../src/inpaint/options.js';
import { makeMask } from '../src/masks/masks.js';
import { readImage } from '../src/io/image.js';
import { listSamples, loadServedModels } from '../src/server/models.js';
import { startServer, WEB_ROOT } from '../src/server/server.js';
import { launchChromium } from '../src/testing/browser.js';
import { useBackend } from './common.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export interface ShippedTimings {
  model: string;
  start: string;
  /** The options given with --options (the rest: the model's defaults); {} for the defaults. */
  options: Partial<InpaintOptions>;
  /** Median seconds for one image, per backend (node: native/wasm/…; browser: chromium-wasm/-webgl/-webgpu). */
  seconds: Record<string, number>;
  /** Median CPU seconds of this process (Node backends only). */
  cpuSeconds: Record<string, number>;
  /** A batch of `images` in one call: median wall and CPU seconds per image, per Node backend. */
  batch: { images: number; secondsPerImage: Record<string, number>; cpuSecondsPerImage: Record<string, number> };
  runs: number;
}

/** Median wall and CPU seconds (this process, all threads) of `runs` calls after one warm-up. */
async function timeRuns(runs: number, fn: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  await fn();
  const ts: number[] = [],
    cpu: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now(),
      c0 = process.cpuUsage();
    await fn();
    ts.push((performance.now() - t) / 1000);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
  }
  return { wall: median(ts), cpu: median(cpu) };
}

export async function shippedTimings(f: Record<string, string>, nodeBackends: string[]): Promise<ShippedTimings> {
  const name = f.model ?? 'fashion-mnist',
    runs = Number(f.runs ?? 5),
    batchImages = Number(f.batch ?? 32);
  if (!Number.isInteger(batchImages) || batchImages < 1) throw new Error(`--batch must be a positive integer`);
  const options = parseOptions(f.options);
  const dir = resolveCheckpointDir(name);
  const first = listSamples(dir)[0];
  const sample = first && path.join(dir, 'samples', first);
  if (!sample) throw new Error(`bench inpaint: ${name} has no bundled samples`);
  const out: ShippedTimings = {
    model: name,
    start: 'random',
    options,
    seconds: {},
    cpuSeconds: {},
    batch: { images: batchImages, secondsPerImage: {}, cpuSecondsPerImage: {} },
    runs,
  };
  console.log(
    `\n${name}: ONE bundled test image (${path.basename(sample)}), centre hole, the model's defaults${f.options ? ` with ${JSON.stringify(options)} (Node backends)` : ''}; model load excluded; median of ${runs} after a warm-up`,
  );
  for (const b of nodeBackends) {
    await useBackend(b);
    const ck = await loadGanCheckpoint(name);
    const { model, start } = await attachEncoder(ck, 'auto', undefined, name);
    out.start = start;
    const c = ck.manifest.config;
    const image = await readImage(sample, { channels: c.channels as 1 | 3, size: c.size });
    const mask = makeMask('center', c.size, c.size);
    const one = await timeRuns(runs, () => inpaint(model, image, mask, options));
    out.seconds[b] = one.wall;
    // CPU seconds of this process too: on a machine shared with other jobs, wall time overstates.
    out.cpuSeconds[b] = one.cpu;
    console.log(
      `  ${b.padEnd(16)} batch 1:  ${one.wall.toFixed(3)} s wall, ${one.cpu.toFixed(3)} s CPU per image  (start: ${start})`,
    );
    // The bundled samples in turn, as one batch (each image's result is the same as alone, search.ts).
    const names = listSamples(dir);
    const imgs = await Promise.all(
      Array.from({ length: batchImages }, (_, i) =>
        readImage(path.join(dir, 'samples', names[i % names.length]!), { channels: c.channels as 1 | 3, size: c.size }),
      ),
    );
    const s1 = imgs[0]!.data.length;
    const data = new Float32Array(batchImages * s1);
    for (const [i, im] of imgs.entries()) data.set(im.data, i * s1);
    const many = { ...imgs[0]!, n: batchImages, data };
    const bt = await timeRuns(runs, () => inpaint(model, many, mask, options));
    out.batch.secondsPerImage[b] = bt.wall / batchImages;
    out.batch.cpuSecondsPerImage[b] = bt.cpu / batchImages;
    console.log(
      `  ${b.padEnd(16)} batch ${batchImages}: ${(bt.wall / batchImages).toFixed(3)} s wall, ${(bt.cpu / batchImages).toFixed(3)} s CPU per image (${bt.wall.toFixed(2)} s the batch)`,
    );
    tf.dispose(
      [...model.generator.weights, ...model.critic.weights, ...(model.encoder?.weights ?? [])].map((w) => w.read()),
    );
  }
  if (f['no-browser'] !== 'true')
    Object.assign(
      out.seconds,
      await browserTimings(name, (f['browser-backends'] ?? 'wasm,webgl,webgpu').split(','), runs),
    );
  return out;
}

/** --options: a JSON object of inpainting options, checked here (one line naming the bad option) before anything runs. */
function parseOptions(json: string | undefined): Partial<InpaintOptions> {
  if (json === undefined) return {};
  let o: unknown;
  try {
    o = JSON.parse(json);
  } catch {
    throw new Error(`bench inpaint: --options is not JSON: ${json}`);
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o))
    throw new Error(`bench inpaint: --options must be a JSON object, got ${json}`);
  resolveInpaintOptions(o as Partial<InpaintOptions>); // throws one line on an unknown key or a bad value
  return o as Partial<InpaintOptions>;
}

/** The built page in headless Chromium, in-browser mode, centre mask, the page's defaults for the model. */
async function browserTimings(name: string, backends: string[], runs: number): Promise<Record<string, number>> {
  if (!fs.existsSync(path.join(WEB_ROOT, 'index.html')))
    throw new Error('bench inpaint: the page is not built (npm run build:web)');
  const models = await loadServedModels([name]);
  const S = await startServer({ models, webRoot: WEB_ROOT }, 0);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-bench-chromium-'));
  const ctx = await launchChromium(profile, { width: 1280, height: 720 }); // Playwright's default viewport
  const out: Record<string, number> = {};
  try {
    for (const b of backends) {
      const page = await ctx.newPage();
      if (process.env.WGAN_BENCH_CONSOLE) page.on('console', (m) => console.log(`  [page ${m.type()}] ${m.text()}`));
      await page.goto(S.url);
      await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });
      await page.waitForFunction(
        () => (document.getElementById('browser-backend') as HTMLSelectElement).options.length > 1,
      );
      const offered = await page.evaluate(() =>
        Array.from((document.getElementById('browser-backend') as HTMLSelectElement).options, (o) => o.value),
      );
      if (!offered.includes(b)) {
        console.log(`  chromium-${b.padEnd(8)} not offered by this browser`);
        await page.close();
        continue;
      }
      await page.selectOption('#mask-kind', 'center');
      await page.click('#apply-kind');
      await page.check('input[name="compute"][value="browser"]');
      await page.selectOption('#browser-backend', b);
      const setting = `${await page.inputValue('#iters')} iters × ${await page.inputValue('#restarts')} restarts`;
      const ts: number[] = [];
      for (let r = 0; r <= runs; r++) {
        await page.click('#go');
        await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state ?? ''), null, {
          timeout: 600_000,
        });
        if ((await page.evaluate(() => document.body.dataset.state)) !== 'done')
          throw new Error(`chromium ${b}: ${await page.textContent('#status')}`);
        const s = Number(await page.getAttribute('#result-losses', 'data-seconds'));
        if (r > 0) ts.push(s); // run 0: warm-up (shader compilation, first allocation)
      }
      out[`chromium-${b}`] = median(ts);
      console.log(
        `  chromium-${b.padEnd(8)} ${out[`chromium-${b}`]!.toFixed(3)} s  (${setting}; ${b === 'wasm' ? 'wasm SIMD, one thread' : 'software renderer here'})`,
      );
      await page.close();
    }
  } finally {
    await ctx.close();
    await S.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  return out;
}
