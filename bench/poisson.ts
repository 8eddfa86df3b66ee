/**
 * `npm run bench -- poisson [--side 4000] [--hole 100] [--channels 3] [--region both|hole-box|image]`
 *
 * Full-resolution Poisson blend of a small hole in a large image: the system set up on the hole's
 * bounding box (the default) against the whole image (region: 'image'); both give the same bytes.
 */
import { poissonBlend } from '../src/inpaint/poisson.js';
import { parseFlags } from './common.js';

export async function run(args: string[]): Promise<void> {
  const f = parseFlags(args, ['channels', 'hole', 'region', 'side']);
  const side = Number(f.side ?? 4000),
    hole = Number(f.hole ?? 100),
    c = Number(f.channels ?? 3);
  const n = side * side * c;
  // A photo-like target (smooth shading + fine noise) and a smooth source (as G(ẑ) upsampled from ≤ 64 px is).
  const at = (i: number) => {
    const p = Math.floor(i / c);
    return [Math.floor(p / side), p % side, i % c] as const;
  };
  const target = {
    data: Float32Array.from({ length: n }, (_, i) => {
      const [y, x, k] = at(i);
      return 0.5 + 0.3 * Math.sin(x / 50 + k) * Math.cos(y / 70) + (0.05 * ((i * 7919) % 100)) / 100;
    }),
    n: 1,
    height: side,
    width: side,
    channels: c,
  };
  const source = {
    data: Float32Array.from({ length: n }, (_, i) => {
      const [y, x, k] = at(i);
      return 0.4 + 0.2 * Math.cos(x / 40 - k) * Math.sin(y / 60);
    }),
    n: 1,
    height: side,
    width: side,
    channels: c,
  };
  const mask = { data: new Float32Array(side * side).fill(1), height: side, width: side };
  const y0 = Math.floor((side - hole) / 2);
  for (let y = y0; y < y0 + hole; y++) mask.data.fill(0, y * side + y0, y * side + y0 + hole);
  console.log(`bench poisson: ${side}×${side}×${c} image, ${hole}×${hole} hole`);
  const time = (region: 'hole-box' | 'image') => {
    const t = performance.now();
    const r = poissonBlend(target, source, mask, { region });
    return { ms: performance.now() - t, r };
  };
  const region = f.region ?? 'both';
  if (hole <= 200) time('hole-box'); // warm-up (JIT); skipped when one solve takes minutes
  const box = region !== 'image' ? time('hole-box') : null;
  const whole = region !== 'hole-box' ? time('image') : null;
  if (box) console.log(`  hole box   ${box.ms.toFixed(0).padStart(7)} ms`);
  if (whole)
    console.log(
      `  whole image ${whole.ms.toFixed(0).padStart(6)} ms${box ? `   (${(whole.ms / box.ms).toFixed(2)}× the box)` : ''}`,
    );
  if (box && whole) {
    let same = box.r.data.length === whole.r.data.length;
    for (let i = 0; same && i < box.r.data.length; i++) same = box.r.data[i] === whole.r.data[i];
    console.log(`  results identical: ${same}`);
  }
}
