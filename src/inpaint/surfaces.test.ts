/**
 * Issue #31.2: the same request resolves to the same search on every surface — library, CLI, HTTP API,
 * queue (batch) and page — on a model with an encoder, one without, and one trained on crops.
 *
 * Each surface is driven through its own entry point where it can be in Node: the library's
 * `loadCheckpoint` + `resolveFor`/`fitFor` (what `inpaint`/`inpaintImages` run), the CLI's `inpaint`
 * command and the queue's `runBatch` for real (with a mask without a hole, so no search runs but
 * summary.json / meta.json record the options), the server's `validateBody` (what POST /api/inpaint
 * runs; its `start` event reports these options) and the page: its form is filled by the functions
 * main.ts fills it with (src/protocol/convert.ts formDefaults, from the model as GET /api/models
 * describes it), then resolved as compute.ts does (browser compute) or sent to the server (server
 * compute).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadCheckpoint } from '../encoder/checkpoint.js';
import { updateManifest } from '../train/manifest.js';
import { resolveFor, type InpaintModel } from './search.js';
import { fitFor, inpaintImages, inpaint } from './inpaint.js';
import { makeMask, resizeMaskKeepHoles } from '../masks/masks.js';
import { resolveRequest, previewEvery } from './surface.js';
import { DEFAULT_INPAINT, INIT_KINDS, type InpaintOptions } from './options.js';
import type { ModelInfo, ServerConfig } from '../protocol/api.js';
import { formDefaults, modelTraits } from '../protocol/convert.js';
import { main } from '../cli/run.js';
import { runBatch } from '../queue/batch.js';
import { loadServedModels } from '../server/models.js';
import { validateBody, DEFAULT_LIMITS } from '../server/request.js';
import { startServer, type RunningServer } from '../server/server.js';
import { makeTinyModel, addTinyEncoder, testImage } from '../testing/server_fixture.js';
import { encodePng, readMask } from '../io/image.js';
import { initBackend } from '../backends/index.js';
import { disposeModel } from '../models/index.js';

let tmp: string;
const dirs: Record<string, string> = {};
let imageFile: string, noHole: string;

before(async () => {
  await initBackend('cpu');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-surfaces-'));
  dirs.encoder = await makeTinyModel(path.join(tmp, 'with-encoder'));
  await addTinyEncoder(dirs.encoder);
  dirs.plain = await makeTinyModel(path.join(tmp, 'plain'));
  // A model trained on crops (manifest config.crop): its default fit is crop on every surface.
  dirs.crop = await makeTinyModel(path.join(tmp, 'crop'));
  updateManifest(dirs.crop, (m) => ({ ...m, config: { ...(m.config as object), crop: 64 } }));
  imageFile = path.join(tmp, 'in', 'a.png');
  fs.mkdirSync(path.dirname(imageFile));
  fs.writeFileSync(imageFile, await encodePng(testImage()));
  // A mask with no hole: the CLI and the batch resolve and record their options, but search nothing.
  // All black: no hole in the default convention (white = hole, src/masks/convention.ts).
  noHole = path.join(tmp, 'black.png');
  fs.writeFileSync(
    noHole,
    await encodePng({ data: new Float32Array(28 * 28).fill(0), n: 1, height: 28, width: 28, channels: 1 }),
  );
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The requests compared: nothing given, a start, one count, a fit. */
const REQUESTS: Partial<InpaintOptions>[] = [
  {},
  { init: 'random' },
  { restarts: 2 },
  { init: 'random', iters: 7 },
  { fit: 'whole' },
];

/**
 * What decides the search, and where it starts (`init` itself is not compared: the queue sends auto that
 * lands on the encoder as 'encoder', batch.ts planStart; the progress cadence is compared on its own below).
 */
const KEYS = [
  'iters',
  'restarts',
  'lambda',
  'lr',
  'seed',
  'window',
  'contextFloor',
  'blend',
  'initMix',
  'fit',
] as const;
const pick = (o: Partial<InpaintOptions>, start: string) => ({
  ...Object.fromEntries(KEYS.map((k) => [k, o[k]])),
  start,
});

/** CLI flags for a request. */
const flags = (r: Partial<InpaintOptions>) => Object.entries(r).flatMap(([k, v]) => [`--${k}`, String(v)]);

async function library(dir: string, r: Partial<InpaintOptions>) {
  const m = await loadCheckpoint(dir); // with its encoder, as the CLI
  try {
    const { o, start } = resolveFor(m, r);
    return pick({ ...o, fit: fitFor(o, m) }, start);
  } finally {
    disposeModel(m);
  }
}

async function cli(dir: string, r: Partial<InpaintOptions>, k: number) {
  const out = path.join(tmp, `cli-${path.basename(dir)}-${k}`);
  // Quiet: the command's notices and summary line go to stdout and stderr.
  const log = console.log,
    write = process.stderr.write;
  console.log = () => {};
  process.stderr.write = (() => true) as typeof process.stderr.write;
  let code: number;
  try {
    code = await main([
      'inpaint',
      '--model',
      dir,
      '--input',
      imageFile,
      '--mask',
      noHole,
      '--out',
      out,
      '--backend',
      'cpu',
      ...flags(r),
    ]);
  } finally {
    console.log = log;
    process.stderr.write = write;
  }
  assert.equal(code, 0);
  const s = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')) as {
    options: InpaintOptions;
    start: string;
  };
  // The CLI's fit: inpaintImages decides it from the options it ran with and the checkpoint's manifest.
  const ck = await loadCheckpoint(dir, { encoder: false });
  disposeModel(ck);
  return pick({ ...s.options, fit: fitFor(s.options, ck) }, s.start);
}

async function batch(dir: string, r: Partial<InpaintOptions>, k: number) {
  const out = path.join(tmp, `batch-${path.basename(dir)}-${k}`);
  const rep = await runBatch(
    { input: path.dirname(imageFile), mask: noHole, out, model: dir, options: r, backend: 'cpu' } as Parameters<
      typeof runBatch
    >[0],
    { log: () => {} },
  );
  const o = rep.options;
  const ck = await loadCheckpoint(dir, { encoder: false });
  disposeModel(ck);
  return pick({ ...o, fit: fitFor(o, ck) }, rep.start);
}

async function server(dir: string, r: Partial<InpaintOptions>) {
  const models = await loadServedModels([dir]);
  const { options, start } = validateBody(
    { model: models[0]!.name, image: 'data:image/png;base64,AAAA', mask: { kind: 'center' }, options: r },
    models,
    DEFAULT_LIMITS,
  );
  return pick(options, start);
}

/**
 * The page: its form filled as main.ts fills it (showStartDefaults: `formDefaults` of the model as
 * GET /api/models describes it, for the start chosen; λ and blend the schema's), the request's values
 * typed over it; then sent to the server (server compute, validateBody) or resolved as compute.ts does
 * (browser compute: `resolveRequest` with `modelTraits` of the same model info).
 */
async function page(S: RunningServer, dir: string, r: Partial<InpaintOptions>, mode: 'browser' | 'server') {
  const info = ((await (await fetch(`${S.url}/api/models`)).json()) as ModelInfo[]).find(
    (m) => m.name === path.basename(dir),
  );
  assert.ok(info, `GET /api/models lists ${path.basename(dir)}`);
  const init = r.init ?? DEFAULT_INPAINT.init;
  const { options: d } = formDefaults(info, init);
  // main.ts options(): the form's fields (a request's values typed into them).
  const form = {
    init,
    iters: r.iters ?? d.iters,
    restarts: r.restarts ?? d.restarts,
    lambda: DEFAULT_INPAINT.lambda,
    blend: DEFAULT_INPAINT.blend,
    ...(r.fit ? { fit: r.fit } : {}),
  };
  if (mode === 'server') {
    const models = await loadServedModels([dir]);
    const v = validateBody(
      { model: info.name, image: 'x', mask: { kind: 'center' }, options: form },
      models,
      DEFAULT_LIMITS,
    );
    return pick(v.options, v.start);
  }
  // compute.ts inpaintInBrowser: the model's encoder is loaded unless init is random.
  const { options, start: s } = resolveRequest(form, {
    ...modelTraits(info),
    hasEncoder: !!info.encoder && form.init !== 'random',
  });
  return pick(options, s);
}

test("the page's form and GET /api/config's defaults are the schema's: the same iterations × restarts per start", async () => {
  const S = await startServer({ models: await loadServedModels(Object.values(dirs)), backend: 'cpu' }, 0, '127.0.0.1');
  try {
    const cfg = (await (await fetch(`${S.url}/api/config`)).json()) as ServerConfig;
    const infos = (await (await fetch(`${S.url}/api/models`)).json()) as ModelInfo[];
    for (const info of infos) {
      for (const init of INIT_KINDS) {
        if (init === 'encoder' && !info.encoder) continue;
        const { options, start } = formDefaults(info, init);
        const d = start === 'encoder' ? cfg.defaults.encoder : cfg.defaults;
        assert.deepEqual([options.iters, options.restarts], [d.iters, d.restarts], `${info.name}, init ${init}`);
        assert.equal(options.fit, info.fit, `${info.name}: the page fits as the server`);
      }
    }
    assert.equal(cfg.defaults.lambda, DEFAULT_INPAINT.lambda);
    assert.equal(cfg.defaults.blend, DEFAULT_INPAINT.blend);
  } finally {
    await S.close();
  }
});

test('every surface resolves the same request to the same search (library, CLI, API, queue, page)', async () => {
  const S = await startServer({ models: await loadServedModels(Object.values(dirs)), backend: 'cpu' }, 0, '127.0.0.1');
  try {
    let k = 0;
    for (const [kind, dir] of Object.entries(dirs)) {
      for (const r of REQUESTS) {
        const lib = await library(dir, r);
        const what = `${kind} model, request ${JSON.stringify(r)}`;
        assert.deepEqual(await cli(dir, r, k), lib, `CLI vs library: ${what}`);
        assert.deepEqual(await batch(dir, r, k), lib, `queue (batch) vs library: ${what}`);
        assert.deepEqual(await server(dir, r), lib, `API vs library: ${what}`);
        assert.deepEqual(await page(S, dir, r, 'server'), lib, `page (server compute) vs library: ${what}`);
        assert.deepEqual(await page(S, dir, r, 'browser'), lib, `page (browser compute) vs library: ${what}`);
        k++;
      }
    }
  } finally {
    await S.close();
  }
});

test('the library loads a shipped model with its encoder, as the CLI: 100 iterations × 1 restart by default; { encoder: false } opts out', async () => {
  const m = await loadCheckpoint('fashion-mnist');
  try {
    assert.ok(m.encoder, 'the shipped encoder is attached');
    const { o, start } = resolveFor(m as InpaintModel, {});
    assert.deepEqual([start, o.iters, o.restarts], ['encoder', 100, 1]);
  } finally {
    disposeModel(m);
  }
  const bare = await loadCheckpoint('fashion-mnist', { encoder: false });
  assert.equal(bare.encoder, null);
  assert.deepEqual([resolveFor(bare, {}).o.iters, resolveFor(bare, {}).o.restarts], [1000, 4]);
  disposeModel(bare);
});

test('the preview cadence of the page and the API is one function: about 20 previews per run', () => {
  assert.deepEqual([previewEvery(100), previewEvery(1000), previewEvery(7), previewEvery(0)], [5, 50, 1, 1]);
});

test("the library converts an image to the model's channels as the CLI does, with a notice (RGB on a grey model)", async () => {
  const m = await loadCheckpoint(dirs.plain!);
  try {
    const notices: string[] = [];
    const rgb = testImage(28, 3);
    const [r] = await inpaintImages(
      m,
      [rgb],
      [makeMask('center', 28, 28)],
      { iters: 1, restarts: 1 },
      { onNotice: (n) => notices.push(n) },
    );
    assert.equal(r!.blended.channels, 1);
    assert.match(notices.join('\n'), /image 0 converted to the model's grey/);
    const at = await inpaint(
      m,
      rgb,
      makeMask('center', 28, 28),
      { iters: 1, restarts: 1 },
      { onNotice: (n) => notices.push(n) },
    );
    assert.equal(at.blended.channels, 1);
    // Known pixels come back as the CLI's conversion gives them: Rec. 601 luma.
    const i = 0,
      want = 0.299 * rgb.data[i * 3]! + 0.587 * rgb.data[i * 3 + 1]! + 0.114 * rgb.data[i * 3 + 2]!;
    assert.ok(Math.abs(r!.blended.data[i]! - want) < 1e-6);
  } finally {
    disposeModel(m);
  }
});

test('a mask file of another size: the CLI and the queue bring it to the image keeping every hole, as the API does (resizeMaskKeepHoles)', async () => {
  // A one-pixel hole at (20, 20) of a 56×56 mask: nearest sampling (every odd pixel) would lose it.
  const fine = { data: new Float32Array(56 * 56).fill(1), n: 1, height: 56, width: 56, channels: 1 };
  fine.data[20 * 56 + 20] = 0;
  const maskFile = path.join(tmp, 'fine-mask.png');
  // Written in the default convention (white = hole): black, the one-pixel hole white. mask.png is
  // written, and read back by readMask, in the same convention.
  fs.writeFileSync(maskFile, await encodePng({ ...fine, data: fine.data.map((v) => 1 - v) }));
  const want = resizeMaskKeepHoles({ data: fine.data, height: 56, width: 56 }, 28, 28);
  const holes = (d: ArrayLike<number>) => Array.from({ length: 784 }, (_, i) => i).filter((i) => d[i]! < 0.5);
  assert.deepEqual(holes(want.data), [10 * 28 + 10]);
  const outCli = path.join(tmp, 'fine-cli'),
    outBatch = path.join(tmp, 'fine-batch');
  const write = process.stderr.write,
    log = console.log;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  console.log = () => {};
  try {
    assert.equal(
      await main([
        'inpaint',
        '--model',
        dirs.plain!,
        '--input',
        imageFile,
        '--mask',
        maskFile,
        '--out',
        outCli,
        '--backend',
        'cpu',
        '--iters',
        '1',
        '--restarts',
        '1',
      ]),
      0,
    );
  } finally {
    process.stderr.write = write;
    console.log = log;
  }
  await runBatch(
    {
      input: path.dirname(imageFile),
      mask: maskFile,
      out: outBatch,
      model: dirs.plain!,
      options: { iters: 1, restarts: 1 },
      backend: 'cpu',
    } as Parameters<typeof runBatch>[0],
    { log: () => {} },
  );
  for (const out of [outCli, outBatch]) {
    const m = await readMask(path.join(out, 'a', 'mask.png'));
    assert.deepEqual(holes(m.data), holes(want.data), out);
  }
});
