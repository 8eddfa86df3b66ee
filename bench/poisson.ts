/**
 * `npm run bench -- poisson [--side 4000] [--hole 100] [--channels 3]`
 *
 * Full-resolution Poisson blend of a small hole in a large image: the system set up on the hole's
 * bounding box (the default) against the whole image (region: 'image'); both give the same bytes.
 */
import { poissonBlend } from '../src/inpaint/poisson.js';
import { parseFlags } from './common.js';

export async function run(args: string[]): Promise<void> {
  const f = parseFlags(args);
  const side = Number(f.side ?? 4000), hole = Number(f.hole ?? 100), c = Number(f.channels ?? 3);
  const n = side * side * c;
  const target = { data: Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 1000) / 1000), n: 1, height: side, width: side, channels: c };
  const source = { data: Float32Array.from({ length: n }, (_, i) => ((i * 104729) % 1000) / 1000), n: 1, height: side, width: side, channels: c };
  const mask = { data: new Float32Array(side * side).fill(1), height: side, width: side };
  const y0 = Math.floor((side - hole) / 2);
  for (let y = y0; y < y0 + hole; y++) mask.data.fill(0, y * side + y0, y * side + y0 + hole);
  console.log(`bench poisson: ${side}×${side}×${c} image, ${hole}×${hole} hole`);
  const time = (region: 'hole-box' | 'image') => {
    const t = performance.now();
    const r = poissonBlend(target, source, mask, { region });
    return { ms: performance.now() - t, r };
  };
  time('hole-box'); // warm-up
  const box = time('hole-box'), whole = time('image');
  let same = box.r.data.length === whole.r.data.length;
  for (let i = 0; same && i < box.r.data.length; i++) same = box.r.data[i] === whole.r.data[i];
  console.log(`  hole box   ${box.ms.toFixed(0).padStart(7)} ms`);
  console.log(`  whole image ${whole.ms.toFixed(0).padStart(6)} ms   (${(whole.ms / box.ms).toFixed(1)}× the box; results identical: ${same})`);
}
