/**
 * `npm run bench -- baselines [--size 64] [--rounds 5]`: ms per image of the non-learned fills
 * (Telea, nearest, mean) on a smooth size×size×3 image with a centred 25 % hole and a keep-every-4th
 * grid; best of `rounds`.
 */
import { meanFill, nearestFill } from '../src/baselines/fills.js';
import { telea } from '../src/baselines/telea.js';
import type { ImageBatch, Mask } from '../src/types.js';
import { parseFlags } from './common.js';

export async function run(args: string[]): Promise<void> {
  const f = parseFlags(args, ['rounds', 'size']);
  const n = Number(f.size ?? 64),
    rounds = Number(f.rounds ?? 5);
  const y: ImageBatch = {
    data: Float32Array.from({ length: n * n * 3 }, (_, i) => 0.5 + 0.4 * Math.sin(i / 97)),
    n: 1,
    height: n,
    width: n,
    channels: 3,
  };
  const mask = (known: (r: number, c: number) => boolean): Mask => ({
    data: Float32Array.from({ length: n * n }, (_, p) => (known(Math.floor(p / n), p % n) ? 1 : 0)),
    height: n,
    width: n,
  });
  const masks = {
    'centre 25 %': mask((r, c) => !(r >= n / 4 && r < (3 * n) / 4 && c >= n / 4 && c < (3 * n) / 4)),
    'grid (keep 1/16)': mask((r, c) => r % 4 === 0 && c % 4 === 0),
  };
  console.log(`bench baselines: ${n}×${n}×3, best of ${rounds}`);
  for (const [name, m] of Object.entries(masks)) {
    for (const [fill, fn] of [
      ['telea', telea],
      ['nearest', nearestFill],
      ['mean', meanFill],
    ] as const) {
      let best = Infinity;
      for (let i = 0; i < rounds; i++) {
        const t0 = performance.now();
        fn(y, [m]);
        best = Math.min(best, performance.now() - t0);
      }
      console.log(`  ${name.padEnd(16)} ${fill.padEnd(8)} ${best.toFixed(2).padStart(8)} ms`);
    }
  }
}
