// Per-kernel profile of the z-search (src/inpaint/search.ts) on N images, K restarts, widths W:
//   npm run build && WGAN_NATIVE_PROFILE=1 node native/tools/profile_inpaint.mjs [--images 1] [--restarts 4] [--iters 100] [--width 64]
import { initBackend } from '../../dist/src/backends/index.js';
import { kernelProfile, resetKernelProfile } from '../../dist/src/backends/native.js';
import { buildModels } from '../../dist/src/models/index.js';
import { makeMask } from '../../dist/src/masks/masks.js';
import { inpaint } from '../../dist/src/inpaint/search.js';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return Number(i >= 0 ? process.argv[i + 1] : def);
};
await initBackend('native', () => {});
const N = arg('images', 1), K = arg('restarts', 4), iters = arg('iters', 100), width = arg('width', 64), size = 32;
const m = buildModels('dcgan', { size, channels: 3, nz: 100, gWidth: width, dWidth: width, criticNorm: 'layer', seed: 0 });
const images = { data: Float32Array.from({ length: N * size * size * 3 }, (_, i) => (i % 97) / 97), n: N, height: size, width: size, channels: 3 };
const mask = makeMask('center', size, size);
await inpaint(m, images, mask, { iters: 5, restarts: K, blend: 'none' });
resetKernelProfile();
const t0 = performance.now();
await inpaint(m, images, mask, { iters, restarts: K, blend: 'none' });
const ms = (performance.now() - t0) / iters;
const prof = kernelProfile();
const kms = prof.reduce((a, p) => a + p.ms, 0) / iters;
console.log(`${N} image(s) × ${K} restarts, width ${width}: ${ms.toFixed(2)} ms per iteration, kernels ${kms.toFixed(2)} ms, calls ${prof.reduce((a, p) => a + p.calls, 0) / iters}`);
for (const p of prof.slice(0, 15)) console.log(`  ${p.kernel.padEnd(24)} ${(p.ms / iters).toFixed(3).padStart(7)} ms ${String(p.calls / iters).padStart(5)} calls${p.flops ? `  ${(p.flops / p.ms / 1e6).toFixed(1)} GFLOP/s` : ''}`);
