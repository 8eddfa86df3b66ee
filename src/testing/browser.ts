/** Helpers for driving the page in Chromium (playwright-core), shared by the page test and tools/screenshot.ts. */
import type { Page } from 'playwright-core';

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
