/** Helpers for driving the page in Chromium (playwright-core), shared by the page test and tools/screenshot.ts. */
import type { Page } from 'playwright-core';

/** Debian's Chromium, or CHROMIUM_PATH. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/**
 * Headless Chromium on this closed network (no background connections). WebGL2 runs on Chromium's
 * software rasteriser even with --disable-gpu; the last three flags give WebGPU a software
 * (SwiftShader Vulkan) adapter, so both GPU backends run here — for correctness, not speed.
 */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-webgpu-adapter=swiftshader'];

/**
 * Drag the mouse over an element from (x0, y0) to (x1, y1) — fractions of its box — in `steps` moves,
 * as a person draws a stroke.
 */
export async function dragOn(page: Page, selector: string, x0: number, y0: number, x1: number, y1: number, steps = 8): Promise<void> {
  const box = (await page.locator(selector).boundingBox())!;
  await page.mouse.move(box.x + x0 * box.width, box.y + y0 * box.height);
  await page.mouse.down();
  for (let k = 1; k <= steps; k++) await page.mouse.move(box.x + (x0 + ((x1 - x0) * k) / steps) * box.width, box.y + (y0 + ((y1 - y0) * k) / steps) * box.height);
  await page.mouse.up();
}
