/** Helpers for driving the page in Chromium (playwright-core), shared by the page tests and tools/screenshot.ts. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { PACKAGE_ROOT } from '../io/paths.js';
import { WEB_ROOT } from '../server/server.js';
import { startTestServer, type TestServer } from './server_fixture.js';

/** Debian's Chromium, or CHROMIUM_PATH. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/**
 * Headless Chromium on this closed network (no background connections). WebGL2 runs on Chromium's
 * software rasteriser even with --disable-gpu; the last three flags give WebGPU a software
 * (SwiftShader Vulkan) adapter, so both GPU backends run here — for correctness, not speed.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-webgpu-adapter=swiftshader',
];

/**
 * Drag the mouse over an element from (x0, y0) to (x1, y1) — fractions of its box — in `steps` moves,
 * as a person draws a stroke.
 */
export async function dragOn(
  page: Page,
  selector: string,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  steps = 8,
): Promise<void> {
  const box = (await page.locator(selector).boundingBox())!;
  await page.mouse.move(box.x + x0 * box.width, box.y + y0 * box.height);
  await page.mouse.down();
  for (let k = 1; k <= steps; k++)
    await page.mouse.move(
      box.x + (x0 + ((x1 - x0) * k) / steps) * box.width,
      box.y + (y0 + ((y1 - y0) * k) / steps) * box.height,
    );
  await page.mouse.up();
}

/** Newest modification time under a folder, ms. */
function newest(p: string): number {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...fs.readdirSync(p).map((f) => newest(path.join(p, f))));
}

/**
 * Build the page (web-dist/) with Vite when it is missing or older than its sources (src/web and the
 * platform-neutral modules it bundles), so a browser test never runs against a stale page.
 */
export function ensureWebBuilt(): void {
  const index = path.join(PACKAGE_ROOT, 'web-dist', 'index.html');
  const inputs = [
    'src/web',
    'src/inpaint',
    'src/encoder',
    'src/masks',
    'src/models',
    'src/backends',
    'src/util',
    'src/types.ts',
    'vite.config.ts',
  ];
  const sources = Math.max(
    ...inputs
      .map((p) => path.join(PACKAGE_ROOT, p))
      .filter((p) => fs.existsSync(p))
      .map(newest),
  );
  if (fs.existsSync(index) && fs.statSync(index).mtimeMs >= sources) return;
  execFileSync(
    process.execPath,
    [path.join(PACKAGE_ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'error'],
    { cwd: PACKAGE_ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

/** Headless Chromium (CHROMIUM_ARGS) on the profile folder `profile`, the page's desktop viewport by default. */
export function launchChromium(
  profile: string,
  viewport: { width: number; height: number } = { width: 1180, height: 1000 },
): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport,
  });
}

/** A test server with a tiny model, serving the built page, and a headless Chromium on a fresh profile. */
export interface BrowserSession {
  server: TestServer;
  browser: BrowserContext;
  /** The Chromium profile folder (also a scratch folder for files to upload); removed by close(). */
  profile: string;
  close(): Promise<void>;
}

/**
 * Build the page if stale, start a test server and launch Chromium on a fresh profile (nothing cached
 * or remembered between runs). Fails with the install line when Chromium is missing.
 */
export async function openBrowserSession(): Promise<BrowserSession> {
  assert.ok(
    fs.existsSync(CHROMIUM),
    `Chromium not found at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium)`,
  );
  ensureWebBuilt();
  const server = await startTestServer({ webRoot: WEB_ROOT });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-chromium-'));
  const browser = await launchChromium(profile);
  return {
    server,
    browser,
    profile,
    async close() {
      await browser.close();
      await server.stop();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
