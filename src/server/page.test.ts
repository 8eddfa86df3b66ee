/**
 * End-to-end: the built page in real headless Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core) against a test server with a tiny model. Draws a mask with mouse drags, inpaints
 * on the server and in the browser (wasm), and reads the result pixels back from the page.
 *
 * Needs the page built (web-dist/); it is (re)built here with Vite when missing or older than its
 * sources (src/web/, the modules it imports, vite.config.ts). Fails when Chromium is missing (CI installs the `chromium` package).
 * WGAN_SCREENSHOT=docs/screenshot.png saves a screenshot of the page after the server-side run.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { WEB_ROOT } from './server.js';
import { startTestServer, testImage, makeTinyModel, type TestServer } from '../testing/server_fixture.js';
import { updateManifest } from '../train/manifest.js';
import { loadServedModels } from './models.js';
import { startServer } from './server.js';
import { dragOn, openBrowserSession, type BrowserSession } from '../testing/browser.js';
import { encodePng } from '../io/image.js';

let S: TestServer;
let browser: BrowserContext;
let profile: string;
let session: BrowserSession;

before(async () => {
  session = await openBrowserSession();
  ({ server: S, browser, profile } = session);
});

after(async () => {
  await session?.close();
});

interface Pixels {
  width: number;
  height: number;
  data: number[];
}

/** RGBA pixels of an <img> on the page. */
async function imgPixels(page: Page, id: string): Promise<Pixels> {
  return page.evaluate(async (id) => {
    const img = document.getElementById(id) as HTMLImageElement;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    return { width: c.width, height: c.height, data: Array.from(ctx.getImageData(0, 0, c.width, c.height).data) };
  }, id);
}

/** A new tab on the test server's page, ready (models listed); `errors` collects the page's uncaught errors. */
async function openPage(url = S.url): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 30_000 });
  return { page, errors };
}

/** Draw a horizontal then a vertical stroke through the middle of the mask canvas with the mouse. */
async function drawCross(page: Page): Promise<void> {
  await dragOn(page, '#mask-canvas', 0.3, 0.5, 0.7, 0.5);
  await dragOn(page, '#mask-canvas', 0.5, 0.3, 0.5, 0.7);
}

/** Inpaint with the current settings and check the result (at the image's own size, side×side) against the mask, pixel by pixel. */
async function runAndCheck(page: Page, iters: number, side = 28): Promise<void> {
  await page.click('#go');
  await page.waitForFunction(
    () => document.body.dataset.state === 'done' || document.body.dataset.state === 'error',
    null,
    { timeout: 90_000 },
  );
  const state = await page.evaluate(() => document.body.dataset.state);
  assert.equal(state, 'done', `inpainting failed: ${await page.textContent('#status')}`);
  // Progress reached the end.
  assert.equal(await page.textContent('#iter'), `${iters} / ${iters}`);
  assert.equal(await page.evaluate(() => (document.getElementById('progress') as HTMLProgressElement).value), iters);

  const [input, mask, masked, composite, blended] = (await Promise.all(
    ['res-input', 'res-mask', 'res-masked', 'res-composite', 'res-blended'].map((id) => imgPixels(page, id)),
  )) as [Pixels, Pixels, Pixels, Pixels, Pixels];
  assert.equal(mask.width, side);
  assert.equal(composite.width, side);
  assert.equal(input.width, side);
  // The mask the page shows is white = hole (the convention of OpenCV, LaMa, IOPaint and diffusers).
  assert.match((await page.textContent('#res-mask-caption')) ?? '', /white = hole/);
  const hole = (p: number) => mask.data[p * 4]! >= 128;
  let holes = 0;
  for (let p = 0; p < side * side; p++) if (hole(p)) holes++;
  // The cross covers the centre, not the corners, and is a minority of the image.
  const h = side / 2,
    q = Math.round(side * 0.36);
  assert.ok(hole(h * side + h) && hole(h * side + q) && hole(q * side + h), 'the drawn strokes are not in the mask');
  assert.ok(!hole(0) && !hole(side - 1) && !hole((side - 1) * side), 'the corners should be known');
  assert.ok(holes > 20 * (side / 28) ** 2 && holes < 400 * (side / 28) ** 2, `${holes} hole pixels`);
  for (const [name, out] of [
    ['composite', composite],
    ['blended', blended],
  ] as const) {
    let changed = 0;
    for (let p = 0; p < side * side; p++) {
      for (let c = 0; c < 3; c++) {
        const i = p * 4 + c;
        if (!hole(p)) {
          assert.equal(out.data[i], input.data[i], `${name} pixel ${p} outside the hole differs from the input`);
          assert.equal(
            out.data[i],
            masked.data[i],
            `${name} pixel ${p} outside the hole differs from the masked input`,
          );
        } else if (c === 0 && out.data[i] !== masked.data[i]) changed++;
      }
    }
    assert.ok(changed > holes / 4, `${name}: only ${changed} of ${holes} hole pixels differ from the masked input`);
  }
}

test('draw a mask with the mouse, inpaint on the server, result changes only the hole', {
  timeout: 120_000,
}, async () => {
  const { page, errors } = await openPage();
  assert.equal(
    await page.evaluate(() => crossOriginIsolated),
    true,
    'COOP/COEP should make the page cross-origin isolated',
  );
  assert.equal(await page.inputValue('#model'), 'tiny');
  await page.fill('#iters', '5');
  await page.fill('#restarts', '1');
  await drawCross(page);
  await runAndCheck(page, 5);
  assert.equal(await page.isVisible('#stale-note'), false);
  // The other convention: the shown and downloaded mask flip at once (white = known), the fill stays.
  const before = await imgPixels(page, 'res-mask');
  await page.selectOption('#mask-convention', 'known-white');
  await page.waitForFunction(() =>
    /white = known/.test(document.getElementById('res-mask-caption')!.textContent ?? ''),
  );
  const after = await imgPixels(page, 'res-mask');
  assert.ok(
    after.data.every((v, i) => i % 4 === 3 || v === 255 - before.data[i]!),
    'the shown mask is not the inverse',
  );
  assert.equal(await page.getAttribute('#download-mask', 'href'), await page.getAttribute('#res-mask', 'src'));
  await page.selectOption('#mask-convention', 'hole-white');
  await page.waitForFunction(() => /white = hole/.test(document.getElementById('res-mask-caption')!.textContent ?? ''));
  assert.equal(await page.isVisible('#stale-note'), false);
  // A new stroke makes the result out of date, and says so.
  await dragOn(page, '#mask-canvas', 0.2, 0.2, 0.3, 0.3);
  assert.match((await page.textContent('#stale-note')) ?? '', /out of date: the mask changed/);
  // The server's limits are enforced before sending, in plain words.
  const maxIters = Number(await page.getAttribute('#iters', 'max'));
  await page.fill('#iters', String(maxIters + 1));
  await page.click('#go');
  assert.equal(await page.textContent('#status'), `iterations must be at most ${maxIters} on this server`);
  await page.fill('#iters', '5');
  if (process.env.WGAN_SCREENSHOT) await page.screenshot({ path: process.env.WGAN_SCREENSHOT, fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('upload an image, inpaint in the browser (TF.js wasm): the result changes only the hole', {
  timeout: 120_000,
}, async () => {
  const { page, errors } = await openPage();
  // Upload a 56×56 picture: the page keeps it at 56 px, the completion runs at the model's 28 px and
  // the result comes back at 56 px.
  const file = path.join(profile, 'upload.png');
  fs.writeFileSync(file, await encodePng(testImage(56)));
  await page.setInputFiles('#upload', file);
  await page.waitForFunction(() => (document.getElementById('image-canvas') as HTMLCanvasElement).width === 56);
  await page.fill('#iters', '5');
  await page.fill('#restarts', '1');
  await drawCross(page);
  await page.check('input[name="compute"][value="browser"]');
  await page.selectOption('#browser-backend', 'wasm');
  await runAndCheck(page, 5, 56);
  // The download: the blended result at the upload's size, named after the upload.
  assert.equal(await page.getAttribute('#download', 'download'), 'upload-inpainted.png');
  const dl = await page.evaluate(async () => {
    const i = new Image();
    i.src = (document.getElementById('download') as HTMLAnchorElement).href;
    await i.decode();
    return [i.naturalWidth, i.naturalHeight];
  });
  assert.deepEqual(dl, [56, 56]);
  // The mask and a zip of every output, named after the upload.
  assert.equal(await page.getAttribute('#download-mask', 'download'), 'upload-mask.png');
  assert.equal(await page.getAttribute('#download-zip', 'download'), 'upload-inpainted.zip');
  const zip = await page.evaluate(async () =>
    Array.from(
      new Uint8Array(
        await (await fetch((document.getElementById('download-zip') as HTMLAnchorElement).href)).arrayBuffer(),
      ),
    ),
  );
  const text = new TextDecoder('latin1').decode(Uint8Array.from(zip));
  assert.equal(text.slice(0, 2), 'PK');
  for (const n of ['inpainted', 'composite', 'raw', 'masked', 'mask', 'input'])
    assert.ok(text.includes(`upload-${n}.png`), n);
  assert.match((await page.textContent('#result-losses')) ?? '', /on wasm/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('in the browser on WebGPU and WebGL: offered, auto picks the fastest, and the fill matches wasm', {
  timeout: 180_000,
}, async () => {
  const { page, errors } = await openPage();
  await page.waitForFunction(
    () => (document.getElementById('browser-backend') as HTMLSelectElement).options.length > 1,
  );
  const offered = await page.evaluate(() =>
    Array.from((document.getElementById('browser-backend') as HTMLSelectElement).options, (o) => [
      o.value,
      o.textContent,
    ]),
  );
  assert.deepEqual(
    offered.map(([v]) => v),
    ['auto', 'webgpu', 'webgl', 'wasm'],
  );
  assert.equal(offered[0]![1], 'auto (WebGPU)');
  await page.fill('#iters', '20');
  await page.fill('#restarts', '2');
  await drawCross(page);
  await page.check('input[name="compute"][value="browser"]');
  const raws = new Map<string, Pixels>();
  for (const [choice, name] of [
    ['wasm', 'wasm'],
    ['webgl', 'webgl'],
    ['webgpu', 'webgpu'],
    ['auto', 'webgpu'],
  ] as const) {
    await page.selectOption('#browser-backend', choice);
    await runAndCheck(page, 20);
    assert.match((await page.textContent('#result-losses')) ?? '', new RegExp(`on ${name}\\b`), choice);
    raws.set(choice, await imgPixels(page, 'res-raw'));
  }
  // The same search on every backend: float rounding differs, the fill must not (8-bit pixels).
  const ref = raws.get('wasm')!;
  for (const k of ['webgl', 'webgpu', 'auto']) {
    const d = raws.get(k)!.data.map((v, i) => Math.abs(v - ref.data[i]!));
    const max = Math.max(...d),
      mean = d.reduce((a, b) => a + b, 0) / d.length;
    assert.ok(max <= 12 && mean <= 1, `${k} vs wasm: max |Δ| ${max}, mean ${mean.toFixed(3)} (of 255)`);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('refine beyond z from the page: one bar to iters + refine iterations; the browser fills as the server does', {
  timeout: 180_000,
}, async () => {
  const { page, errors } = await openPage();
  // The refinement's iterations are only editable (and sent) with a refinement chosen.
  assert.equal(await page.isDisabled('#refine-iters'), true);
  await page.selectOption('#refine', 'features');
  assert.equal(await page.isDisabled('#refine-iters'), false);
  await page.fill('#iters', '10');
  await page.fill('#restarts', '1');
  await page.fill('#refine-iters', '20');
  await drawCross(page);
  const contextual = async () =>
    Number(/contextual ([\d.]+)/.exec((await page.textContent('#result-losses')) ?? '')?.[1]);
  let refined = Number.NaN,
    ref!: Pixels;
  // Generator mode too: its per-image kernels run as sub-pixel batched matmuls (refine.ts), on wasm in the page.
  for (const refine of ['generator', 'features']) {
    await page.selectOption('#refine', refine);
    const raws = new Map<string, Pixels>();
    for (const mode of ['server', 'browser']) {
      await page.check(`input[name="compute"][value="${mode}"]`);
      if (mode === 'browser') await page.selectOption('#browser-backend', 'wasm');
      await runAndCheck(page, 30);
      raws.set(mode, await imgPixels(page, 'res-raw'));
      if (mode === 'server') refined = await contextual();
    }
    // The same search and refinement on the server (Node) and in the page (wasm): float rounding differs.
    ref = raws.get('server')!;
    const d = raws.get('browser')!.data.map((v, i) => Math.abs(v - ref.data[i]!));
    const max = Math.max(...d),
      mean = d.reduce((a, b) => a + b, 0) / d.length;
    assert.ok(max <= 12 && mean <= 1, `${refine}: browser vs server: max |Δ| ${max}, mean ${mean.toFixed(3)} (of 255)`);
  }
  // The refinement ran: the same search without it fits the context less well, and its fill differs.
  await page.selectOption('#refine', 'z');
  await page.check('input[name="compute"][value="server"]');
  await runAndCheck(page, 10);
  const plain = await imgPixels(page, 'res-raw'),
    unrefined = await contextual();
  assert.ok(refined < unrefined, `contextual loss ${unrefined} (z search) → ${refined} (refined)`);
  assert.ok(
    plain.data.some((v, i) => v !== ref.data[i]),
    'the refined fill equals the unrefined one',
  );
  // Above the server's limit: said on the page before anything is sent.
  await page.selectOption('#refine', 'modulation');
  const maxIters = Number(await page.getAttribute('#refine-iters', 'max'));
  await page.fill('#refine-iters', String(maxIters + 1));
  await page.click('#go');
  assert.equal(await page.textContent('#status'), `refine iterations must be at most ${maxIters} on this server`);
  assert.deepEqual(errors, []);
  await page.close();
});

test("a model with an encoder: the page starts from it with its defaults, shows the encoder's one-pass fill first, then refines (server and browser)", {
  timeout: 180_000,
}, async () => {
  const T = await startTestServer({ webRoot: WEB_ROOT }, 'dcgan', true);
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(T.url);
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 30_000 });
    assert.match((await page.textContent('#model-info')) ?? '', /with an encoder/);
    // The encoder's defaults (100 × 1); random brings random z's back — the CLI's 1000 × 4 (issue #31).
    assert.deepEqual(
      [await page.inputValue('#init'), await page.inputValue('#iters'), await page.inputValue('#restarts')],
      ['auto', '100', '1'],
    );
    await page.selectOption('#init', 'random');
    assert.deepEqual([await page.inputValue('#iters'), await page.inputValue('#restarts')], ['1000', '4']);
    await page.selectOption('#init', 'auto');
    await page.fill('#iters', '40');
    await drawCross(page);
    for (const mode of ['server', 'browser']) {
      // Every caption the live preview shows, in order, with the iteration it came with.
      await page.evaluate(() => {
        const w = window as unknown as { captions: string[] };
        w.captions = [];
        const cap = document.getElementById('live-caption')!;
        // Every text the caption is given (the observer's callback may come after several).
        new MutationObserver((recs) => {
          for (const r of recs)
            r.addedNodes.forEach((n) => {
              w.captions.push(n.textContent ?? '');
            });
        }).observe(cap, { childList: true });
      });
      await page.check(`input[name="compute"][value="${mode}"]`);
      await runAndCheck(page, 40);
      const captions = await page.evaluate(() => (window as unknown as { captions: string[] }).captions);
      const firstFill = captions.findIndex((c) => c.includes("the encoder's one-pass fill"));
      assert.ok(firstFill >= 0, `${mode}: no one-pass fill shown: ${captions.join(' / ')}`);
      assert.ok(
        captions.slice(firstFill + 1).some((c) => c.endsWith('G(z) now')),
        `${mode}: not refined after the one-pass fill: ${captions.join(' / ')}`,
      );
      assert.match((await page.textContent('#result-losses')) ?? '', /start: the encoder's z/);
    }
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
    await T.stop();
  }
});

test('editor: drop an image, undo and redo by keyboard, [ and ] brush size; no horizontal scroll at 390 px', {
  timeout: 120_000,
}, async () => {
  const { page, errors } = await openPage();
  // Drop a 40×30 PNG on the page (a synthetic drop with a real File, as a desktop drag would give).
  const png = Array.from(
    await encodePng({
      ...testImage(40),
      height: 30,
      data: testImage(40).data.subarray(0, 40 * 30 * testImage(40).channels),
    }),
  );
  await page.evaluate((bytes) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(bytes)], 'dropped.png', { type: 'image/png' }));
    document
      .getElementById('stage')!
      .dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, png);
  await page.waitForFunction(() => (document.getElementById('image-canvas') as HTMLCanvasElement).width === 40);
  assert.match((await page.textContent('#status')) ?? '', /loaded dropped\.png/);
  const holes = () =>
    page.evaluate(() => {
      const c = document.getElementById('mask-canvas') as HTMLCanvasElement;
      return Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data).filter(
        (v, i) => i % 4 === 3 && v > 0,
      ).length;
    });
  await drawCross(page);
  const drawn = await holes();
  // The mask as the search will see it: at the model's 28 px, holes kept (a 40×30 image: padded rows unknown).
  const preview = await page.evaluate(() => {
    const c = document.getElementById('mask-preview') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let white = 0; // white = hole, the default convention
    for (let i = 0; i < d.length; i += 4) if (d[i]! >= 128) white++;
    return { w: c.width, h: c.height, white, visible: !c.parentElement!.hidden };
  });
  assert.deepEqual([preview.w, preview.h, preview.visible], [28, 28, true]);
  assert.ok(preview.white > 28 * 2 && preview.white < 28 * 28, `${preview.white} unknown preview pixels`);
  assert.ok(drawn > 10, `${drawn} painted pixels`);
  await page.locator('body').click({ position: { x: 2, y: 2 } });
  await page.keyboard.press('Control+z');
  await page.keyboard.press('Control+z');
  assert.equal(await holes(), 0, 'two undos take both strokes away');
  await page.keyboard.press('Control+Shift+z');
  const one = await holes();
  assert.ok(one > 0 && one < drawn, `one redo gives back one stroke (${one} of ${drawn})`);
  await page.keyboard.press('Control+Shift+z');
  assert.equal(await holes(), drawn);
  const brush = async () => Number(await page.inputValue('#brush'));
  const b0 = await brush();
  await page.keyboard.press(']');
  assert.ok((await brush()) > b0);
  await page.keyboard.press('[');
  await page.keyboard.press('[');
  assert.ok((await brush()) < b0);
  // Zoom (Ctrl + wheel, + and 0) and pan keep the brush exact: a dot painted at the stage's centre after zooming
  // in lands at the image's centre.
  await page.keyboard.press('Control+z');
  await page.keyboard.press('Control+z');
  const box = (await page.locator('#stage').boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  // (Ctrl + wheel: the wheel alone scrolls the page.)
  await page.keyboard.down('Control');
  await page.mouse.wheel(0, -100);
  await page.keyboard.up('Control');
  assert.match(
    await page.evaluate(() => (document.getElementById('mask-canvas') as HTMLCanvasElement).style.transform),
    /scale\(1\.25\)/,
  );
  await page.keyboard.press('+');
  assert.match((await page.textContent('#zoom-note')) ?? '', /zoom 156 %/);
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  const centre = await page.evaluate(() => {
    const c = document.getElementById('mask-canvas') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0,
      sx = 0,
      sy = 0;
    for (let i = 0; i < c.width * c.height; i++)
      if (d[i * 4 + 3]! >= 128) {
        n++;
        sx += i % c.width;
        sy += Math.floor(i / c.width);
      }
    return { n, x: sx / n, y: sy / n, w: c.width, h: c.height };
  });
  assert.ok(
    centre.n > 0 && Math.abs(centre.x - centre.w / 2) < 2 && Math.abs(centre.y - centre.h / 2) < 2,
    JSON.stringify(centre),
  );
  await page.keyboard.press('0');
  assert.equal(
    await page.evaluate(() => (document.getElementById('mask-canvas') as HTMLCanvasElement).style.transform),
    '',
  );
  // The upload button is a real, focusable button.
  assert.equal(await page.evaluate(() => document.getElementById('upload-button')!.tagName), 'BUTTON');
  // Full size (issue #31): an 1800×1570 upload stays 1800×1570 (the page capped it at 1024 px before);
  // only an image over the server's pixel limit (serve --max-pixels) would be scaled, and said so.
  const big = Array.from(
    await encodePng({ data: new Float32Array(1800 * 1570).fill(0.5), n: 1, height: 1570, width: 1800, channels: 1 }),
  );
  await page.evaluate((bytes) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(bytes)], 'big.png', { type: 'image/png' }));
    document
      .getElementById('stage')!
      .dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, big);
  await page.waitForFunction(() => (document.getElementById('image-canvas') as HTMLCanvasElement).width === 1800);
  assert.deepEqual(
    await page.evaluate(() =>
      ['image-canvas', 'mask-canvas'].map((id) => [
        (document.getElementById(id) as HTMLCanvasElement).width,
        (document.getElementById(id) as HTMLCanvasElement).height,
      ]),
    ),
    [
      [1800, 1570],
      [1800, 1570],
    ],
  );
  assert.match((await page.textContent('#status')) ?? '', /^loaded big\.png$/);
  await page.setViewportSize({ width: 390, height: 800 });
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  assert.ok(overflow <= 0, `${overflow} px of horizontal overflow at 390 px`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a calibrated model: the out-of-domain verdict is shown beside the live preview, near the top of the page', {
  timeout: 120_000,
}, async () => {
  // A tiny model whose calibration flags every image (a known-error threshold no search reaches).
  const dir = await makeTinyModel(path.join(profile, 'calibrated'));
  const spread = { n: 10, median: 0, p95: 0, max: 0 };
  updateManifest(dir, (raw) => ({
    ...raw,
    domain: {
      knownError: spread,
      bins: [],
      threshold: 1e-9,
      n: 10,
      iters: 1,
      restarts: 1,
      contextFloor: 0,
      start: 'random',
      masks: ['center'],
      data: 'none',
      expects: '28×28 nothing at all',
    },
  }));
  const s = await startServer(
    { models: await loadServedModels([dir]), backend: 'cpu', webRoot: WEB_ROOT },
    0,
    '127.0.0.1',
  );
  const page = await browser.newPage();
  try {
    await page.goto(s.url);
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 30_000 });
    await page.fill('#iters', '3');
    await page.fill('#restarts', '1');
    await drawCross(page);
    await page.click('#go');
    await page.waitForFunction(() => document.body.dataset.state === 'done', null, { timeout: 90_000 });
    const v = page.locator('#domain-verdict');
    assert.equal(await v.isVisible(), true);
    assert.match((await v.textContent()) ?? '', /looks unlike what the model was trained on \(28×28 nothing at all\)/);
    const box = (await v.boundingBox())!;
    assert.ok(box.y < 700, `the verdict is ${Math.round(box.y)} px down the page`);
    // A new stroke makes it out of date: the verdict goes with the result it was about.
    await dragOn(page, '#mask-canvas', 0.2, 0.2, 0.3, 0.3);
    assert.equal(await v.isVisible(), false);
  } finally {
    await page.close();
    await s.close();
  }
});
