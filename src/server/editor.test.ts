/**
 * The page's editor, next to IOPaint's (issue #31 item 7), in real headless Chromium against a test
 * server with a tiny model: the shortcut help, the brush outline, continue from a result, copy it,
 * hold B for the before image, the wheel that scrolls, the layout at 390 px, the readable live stats
 * and the ETA that waits for a measured warm-up. One test per feature.
 *
 * Needs the page built (web-dist/; rebuilt here when older than its sources, as page.test.ts does).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { testImage, type TestServer } from '../testing/server_fixture.js';
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

/** A fresh page on the test server, ready; page errors are collected (each test checks there are none). */
async function open(viewport?: { width: number; height: number }): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  if (viewport) await page.setViewportSize(viewport);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(S.url);
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 30_000 });
  return { page, errors };
}

/** Paint a cross, inpaint on the server with `iters` iterations × 1 restart, wait for the result. */
async function inpaint(page: Page, iters = 5): Promise<void> {
  await page.fill('#iters', String(iters));
  await page.fill('#restarts', '1');
  await dragOn(page, '#mask-canvas', 0.3, 0.5, 0.7, 0.5);
  await dragOn(page, '#mask-canvas', 0.5, 0.3, 0.5, 0.7);
  await page.click('#go');
  await page.waitForFunction(
    () => document.body.dataset.state === 'done' || document.body.dataset.state === 'error',
    null,
    { timeout: 90_000 },
  );
  assert.equal(
    await page.evaluate(() => document.body.dataset.state),
    'done',
    `inpainting failed: ${await page.textContent('#status')}`,
  );
}

/** Upload a side×side test picture (the page keeps it at its own size). */
async function upload(page: Page, side: number): Promise<void> {
  const file = path.join(profile, `upload-${side}.png`);
  fs.writeFileSync(file, await encodePng(testImage(side)));
  await page.setInputFiles('#upload', file);
  await page.waitForFunction((s) => (document.getElementById('image-canvas') as HTMLCanvasElement).width === s, side);
}

/** RGBA pixels of a canvas on the page. */
const canvasPixels = (page: Page, id: string) =>
  page.evaluate((id) => {
    const c = document.getElementById(id) as HTMLCanvasElement;
    return {
      width: c.width,
      height: c.height,
      data: Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data),
    };
  }, id);

/** RGBA pixels of an <img> on the page. */
const imgPixels = (page: Page, id: string) =>
  page.evaluate(async (id) => {
    const img = document.getElementById(id) as HTMLImageElement;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    c.getContext('2d')!.drawImage(img, 0, 0);
    return {
      width: c.width,
      height: c.height,
      data: Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data),
    };
  }, id);

/** Painted (hole) pixels of the mask canvas. */
const holes = (page: Page) =>
  page.evaluate(() => {
    const c = document.getElementById('mask-canvas') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i]! >= 128) n++;
    return n;
  });

const mask = (page: Page) =>
  page.evaluate(() => (document.getElementById('mask-canvas') as HTMLCanvasElement).style.transform);

test('shortcut help: ? opens it, Esc closes it, and a visible button opens it too', { timeout: 60_000 }, async () => {
  const { page, errors } = await open();
  assert.equal(await page.isVisible('#help'), false);
  await page.locator('body').click({ position: { x: 2, y: 2 } });
  await page.keyboard.press('?');
  assert.equal(await page.isVisible('#help'), true, '? shows the help');
  const text = (await page.textContent('#help')) ?? '';
  // Every shortcut the editor has is listed.
  for (const k of ['?', 'Esc', '[', ']', 'Ctrl', 'Z', 'B', 'Space', '+', '0', 'wheel'])
    assert.ok(text.includes(k), `help lists ${k}: ${text}`);
  await page.keyboard.press('Escape');
  assert.equal(await page.isVisible('#help'), false, 'Esc closes it');
  await page.click('#help-button');
  assert.equal(await page.isVisible('#help'), true, 'the button shows it');
  await page.keyboard.press('Escape');
  assert.equal(await page.isVisible('#help'), false);
  assert.deepEqual(errors, []);
  await page.close();
});

test('brush outline: a circle at the cursor as wide as the brush paints, at 1× and zoomed in', {
  timeout: 60_000,
}, async () => {
  const { page, errors } = await open();
  // 336 px: one image pixel per screen pixel on the 336 px stage at 1×.
  await upload(page, 336);
  const box = (await page.locator('#stage').boundingBox())!;
  const cx = box.x + box.width / 2,
    cy = box.y + box.height / 2;
  await page.mouse.move(cx, cy);
  const outline = () =>
    page.evaluate(() => {
      const e = document.getElementById('brush-outline');
      if (!e) return null;
      const r = e.getBoundingClientRect();
      return {
        w: r.width,
        h: r.height,
        x: r.left + r.width / 2,
        y: r.top + r.height / 2,
        visible: getComputedStyle(e).display !== 'none' && !e.hidden,
      };
    });
  let o = await outline();
  assert.ok(o?.visible, 'an outline is shown over the stage');
  const brush = Number(await page.inputValue('#brush'));
  assert.ok(Math.abs(o.w - brush) < 1 && Math.abs(o.h - brush) < 1, `outline ${o.w}×${o.h} for a ${brush} px brush`);
  assert.ok(Math.abs(o.x - cx) < 1 && Math.abs(o.y - cy) < 1, 'centred on the cursor');
  await page.keyboard.press(']');
  o = (await outline())!;
  assert.ok(Math.abs(o.w - Number(await page.inputValue('#brush'))) < 1, '] resizes it');
  /** Width, in screen px, of what one click paints. */
  const paintedWidth = async () => {
    await page.mouse.click(cx, cy);
    const w = await page.evaluate(() => {
      const c = document.getElementById('mask-canvas') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let lo = Infinity,
        hi = -Infinity;
      for (let i = 0; i < c.width * c.height; i++)
        if (d[i * 4 + 3]! >= 128) {
          lo = Math.min(lo, i % c.width);
          hi = Math.max(hi, i % c.width);
        }
      return ((hi - lo + 1) * c.getBoundingClientRect().width) / c.width;
    });
    await page.keyboard.press('Control+z');
    return w;
  };
  o = (await outline())!;
  const w1 = await paintedWidth();
  assert.ok(Math.abs(w1 - o.w) <= 2, `at 1×: painted ${w1} px, outline ${o.w} px`);
  // Zoomed in: the outline still shows what a click paints.
  await page.keyboard.press('+');
  await page.keyboard.press('+');
  assert.match(await mask(page), /scale\(1\.56/);
  await page.mouse.move(cx + 1, cy);
  await page.mouse.move(cx, cy);
  o = (await outline())!;
  const w2 = await paintedWidth();
  assert.ok(Math.abs(w2 - o.w) <= 3, `zoomed: painted ${w2} px, outline ${o.w} px`);
  // Gone when the pointer leaves the stage.
  await page.mouse.move(box.x + box.width + 40, cy);
  assert.equal((await outline())!.visible, false, 'hidden off the stage');
  assert.deepEqual(errors, []);
  await page.close();
});

test('continue from this result: the result becomes the input, the mask is cleared, and Ctrl+Z brings both back', {
  timeout: 90_000,
}, async () => {
  const { page, errors } = await open();
  const before = await canvasPixels(page, 'image-canvas');
  await inpaint(page);
  const drawn = await canvasPixels(page, 'mask-canvas');
  const blended = await imgPixels(page, 'res-blended');
  await page.click('#continue');
  await page.waitForFunction(() => /continuing from/.test(document.getElementById('status')!.textContent ?? ''));
  const now = await canvasPixels(page, 'image-canvas');
  assert.deepEqual([now.width, now.height], [blended.width, blended.height]);
  assert.deepEqual(now.data, blended.data, 'the input is now the blended result');
  assert.notDeepEqual(now.data, before.data);
  assert.equal(await holes(page), 0, 'the mask is cleared');
  // The result shown is of the previous input now.
  assert.match((await page.textContent('#stale-note')) ?? '', /out of date/);
  await page.locator('body').click({ position: { x: 2, y: 2 } });
  await page.keyboard.press('Control+z');
  assert.deepEqual((await canvasPixels(page, 'image-canvas')).data, before.data, 'undo restores the image');
  assert.deepEqual((await canvasPixels(page, 'mask-canvas')).data, drawn.data, 'and the mask');
  await page.keyboard.press('Control+Shift+z');
  assert.deepEqual((await canvasPixels(page, 'image-canvas')).data, blended.data, 'redo continues again');
  assert.equal(await holes(page), 0);
  assert.deepEqual(errors, []);
  await page.close();
});

test('copy the result to the clipboard as a PNG, and a plain message when the browser refuses', {
  timeout: 90_000,
}, async () => {
  await browser.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: S.url });
  const { page, errors } = await open();
  await inpaint(page);
  await page.click('#copy');
  await page.waitForFunction(() => /clipboard/.test(document.getElementById('status')!.textContent ?? ''));
  assert.match((await page.textContent('#status')) ?? '', /copied .* to the clipboard/);
  const copied = await page.evaluate(async () => {
    const [item] = await navigator.clipboard.read();
    const blob = await item!.getType('image/png');
    const bmp = await createImageBitmap(blob);
    return { types: item!.types, w: bmp.width, h: bmp.height };
  });
  const res = await imgPixels(page, 'res-blended');
  assert.deepEqual(copied, { types: ['image/png'], w: res.width, h: res.height });
  // A browser that says no (no permission, no ClipboardItem): said plainly, with the way out.
  await page.evaluate(() => {
    navigator.clipboard.write = () => Promise.reject(new DOMException('Write permission denied.', 'NotAllowedError'));
  });
  await page.click('#copy');
  await page.waitForFunction(() => document.getElementById('status')!.classList.contains('error'));
  assert.match((await page.textContent('#status')) ?? '', /refused to copy .*Write permission denied.*Download PNG/);
  assert.deepEqual(errors, []);
  await browser.clearPermissions();
  await page.close();
});

test('hold B: the comparison shows the before image while the key is held', { timeout: 90_000 }, async () => {
  const { page, errors } = await open();
  await inpaint(page);
  const over = () =>
    page.evaluate(() => {
      const o = document.getElementById('cmp-over') as HTMLImageElement;
      return { src: o.src, clip: o.style.clipPath };
    });
  const input = await page.getAttribute('#res-input', 'src');
  const blended = await page.getAttribute('#res-blended', 'src');
  assert.deepEqual(await over(), { src: blended, clip: 'inset(0px 0px 0px 50%)' });
  await page.locator('body').click({ position: { x: 2, y: 2 } });
  await page.keyboard.down('b');
  assert.deepEqual(await over(), { src: input, clip: 'none' }, 'the whole comparison is the original while B is held');
  // Auto-repeat (a held key sends keydown again) keeps it.
  await page.keyboard.down('b');
  assert.equal((await over()).src, input);
  await page.keyboard.up('b');
  assert.deepEqual(await over(), { src: blended, clip: 'inset(0px 0px 0px 50%)' }, 'released: the result again');
  // The button does the same for a pointer (touch screens have no B key). Scrolled to first, as a
  // user would: at 1180×1000 the result panel's buttons can sit just below the fold (the mask
  // convention's row above pushes them down), and a pointer outside the viewport hits nothing.
  await page.locator('#hold-before').scrollIntoViewIfNeeded();
  const btn = (await page.locator('#hold-before').boundingBox())!;
  await page.mouse.move(btn.x + btn.width / 2, btn.y + btn.height / 2);
  await page.mouse.down();
  assert.equal((await over()).src, input);
  await page.mouse.up();
  assert.equal((await over()).src, blended);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the wheel over the stage scrolls the page; Ctrl+wheel or the zoom toggle zooms', {
  timeout: 60_000,
}, async () => {
  // A short window, so the page has somewhere to scroll.
  const { page, errors } = await open({ width: 1180, height: 500 });
  const box = (await page.locator('#stage').boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, 120);
  await page.waitForFunction(() => window.scrollY > 0, null, { timeout: 5_000 });
  assert.equal(await mask(page), '', 'a plain wheel does not zoom');
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForFunction(() => window.scrollY === 0);
  const b2 = (await page.locator('#stage').boundingBox())!;
  await page.mouse.move(b2.x + b2.width / 2, b2.y + b2.height / 2);
  await page.keyboard.down('Control');
  await page.mouse.wheel(0, -100);
  await page.keyboard.up('Control');
  await page.waitForFunction(() =>
    /scale\(1\.25\)/.test((document.getElementById('mask-canvas') as HTMLCanvasElement).style.transform),
  );
  assert.equal(await page.evaluate(() => window.scrollY), 0, 'Ctrl+wheel zooms instead of scrolling');
  await page.keyboard.press('0');
  await page.check('#wheel-zoom');
  // (Ticking it scrolled it into view, and the stage out of it.)
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForFunction(() => window.scrollY === 0);
  const b3 = (await page.locator('#stage').boundingBox())!;
  await page.mouse.move(b3.x + b3.width / 2, b3.y + b3.height / 2);
  await page.mouse.wheel(0, -100);
  await page.waitForFunction(() =>
    /scale\(1\.25\)/.test((document.getElementById('mask-canvas') as HTMLCanvasElement).style.transform),
  );
  assert.deepEqual(errors, []);
  await page.close();
});

test('no horizontal overflow at 390 px, with an image, a run and its result on the page', {
  timeout: 90_000,
}, async () => {
  const { page, errors } = await open({ width: 390, height: 800 });
  const overflow = () =>
    page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(await overflow(), 0, 'the page as it opens');
  await inpaint(page);
  assert.equal(await overflow(), 0, 'with the result shown');
  // Every box stays inside the window (an element hidden by overflow: hidden would not widen the page but still be cut off).
  const outside = await page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLElement>('#view-inpaint *'))
      .filter(
        (e) => e.offsetParent !== null && e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5,
      )
      .map((e) => e.id || e.className || e.tagName),
  );
  assert.deepEqual(outside, []);
  assert.deepEqual(errors, []);
  await page.close();
});

test('live stats: a readable column (no word-by-word wrapping) at 1180 and at 390 px', {
  timeout: 90_000,
}, async () => {
  for (const width of [1180, 390]) {
    const { page, errors } = await open({ width, height: 900 });
    // A long model line, as a real model's has (it widens the left column in docs/screenshot.png).
    await page.evaluate(() => {
      document.getElementById('model-info')!.textContent =
        '32×32, grey, dcgan wgan-gp on fashion-mnist, 20000 iterations; expects 32×32 grey clothing, white on black; with an encoder (the search starts near the answer)';
    });
    await inpaint(page);
    const m = await page.evaluate(() => {
      const lines = (id: string) => {
        const e = document.getElementById(id)!;
        return Math.round(
          e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight || '0') ||
            e.getClientRects().length,
        );
      };
      const r = document.createRange();
      r.selectNodeContents(document.getElementById('losses')!);
      const tops = new Set(Array.from(r.getClientRects(), (q) => Math.round(q.top)));
      return {
        width: document.querySelector('.live-stats')!.getBoundingClientRect().width,
        lossLines: tops.size,
        iterLines: lines('iter'),
        text: document.getElementById('losses')!.textContent,
      };
    });
    assert.ok(m.width >= 180, `${width} px: the stats column is ${m.width} px wide`);
    assert.equal(m.lossLines, 1, `${width} px: "${m.text}" on ${m.lossLines} lines`);
    assert.deepEqual(errors, []);
    await page.close();
  }
});

test('ETA: none until a few progress updates have been timed, then one from their pace', {
  timeout: 90_000,
}, async () => {
  const { page, errors } = await open();
  // Every (iteration, ETA) pair the page shows, in order (the server sends ~20 progress events).
  await page.evaluate(() => {
    const w = window as unknown as { shown: [string, string][] };
    w.shown = [];
    const iter = document.getElementById('iter')!,
      eta = document.getElementById('eta');
    if (!eta) return;
    // The records in the order of the changes (one callback may come after several progress events):
    // each ETA text paired with the iteration text set just before it.
    let at = iter.textContent ?? '';
    const obs = new MutationObserver((recs) => {
      for (const r of recs) {
        const text = Array.from(r.addedNodes, (n) => n.textContent ?? '').join('');
        if (r.target === iter) at = text;
        else w.shown.push([at, text]);
      }
    });
    // One observer for both: one queue of records, in the order of the changes.
    obs.observe(iter, { childList: true });
    obs.observe(eta, { childList: true });
  });
  await inpaint(page, 40);
  const shown = await page.evaluate(() => (window as unknown as { shown: [string, string][] }).shown);
  assert.ok(await page.$('#eta'), 'the live stats have an ETA line');
  const iters = shown.map(([i]) => Number(i.split(' / ')[0]));
  const withEta = shown.map(([, e]) => /\d+\s*s left/.test(e));
  // Before the fifth update there is no ETA: the first is set-up and the first iterations (compile,
  // model load), the next three time the pace.
  const firstEta = withEta.indexOf(true);
  assert.ok(firstEta >= 0, `an ETA is shown once warmed up: ${JSON.stringify(shown)}`);
  const progressed = new Set(iters.slice(0, firstEta + 1).filter((i) => i > 0));
  assert.ok(progressed.size >= 5, `the ETA came after ${progressed.size} progress updates: ${JSON.stringify(shown)}`);
  for (const [, e] of shown.slice(0, firstEta)) assert.doesNotMatch(e, /\d/, 'no figure before the warm-up');
  assert.deepEqual(errors, []);
  await page.close();
});
