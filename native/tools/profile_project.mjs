// Times the project's own WGAN-GP iteration (src/train/steps.ts with src/models/dcgan.ts, default
// config: DCGAN-32 RGB, widths 64, batch 64, layer-norm critic, Adam) and prints the per-kernel profile.
//   npm run build && WGAN_NATIVE_PROFILE=1 node native/tools/profile_project.mjs [--backend native] [--iters 2] [--norm layer|none|batch]
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../dist/src/backends/index.js';
import { kernelProfile, resetKernelProfile, nativeKernelCounts, nativeInfo } from '../../dist/src/backends/native.js';
import { defaultConfig } from '../../dist/src/config/config.js';
import { buildModels } from '../../dist/src/models/index.js';
import { makeTrainer, criticStep, generatorStep } from '../../dist/src/train/steps.js';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
console.log('backend:', await initBackend(arg('backend', 'native'), console.log));
const iters = Number(arg('iters', '2'));
const config = { ...defaultConfig('wgan-gp'), channels: 3 };
if (arg('norm')) config.criticNorm = arg('norm');
config.batch = Number(arg('batch', config.batch));
const B = config.batch;
const models = buildModels('dcgan', { size: 32, channels: 3, nz: config.nz, gWidth: config.gWidth, dWidth: config.dWidth, criticNorm: config.criticNorm, seed: 1 });
const t = makeTrainer(models, config);
const real = tf.randomUniform([B, 32, 32, 3], -1, 1);
const iteration = () => {
  for (let i = 0; i < config.nCritic; i++) { const s = performance.now(); criticStep(t, real); if (process.env.DBG) console.log("critic", (performance.now() - s).toFixed(0)); }
  generatorStep(t, B);
};
const tw = performance.now(); iteration(); console.log(`warm-up ${(performance.now() - tw).toFixed(0)} ms`);
resetKernelProfile();
const cpu0 = process.cpuUsage();
const times = [];
for (let i = 0; i < iters; i++) {
  const t0 = performance.now();
  iteration();
  times.push(performance.now() - t0);
}
const cpu = process.cpuUsage(cpu0);
console.log(`critic norm ${config.criticNorm}, batch ${B}: iteration ms ${times.map((x) => x.toFixed(0)).join(', ')}  cpu-s/iteration ${((cpu.user + cpu.system) / 1e6 / iters).toFixed(2)}  numTensors ${tf.memory().numTensors}`);
const prof = kernelProfile();
if (prof.length) {
  const flops = prof.reduce((a, p) => a + p.flops, 0) / iters;
  const total = prof.reduce((a, p) => a + p.ms, 0) / iters;
  console.log(`GEMM FLOPs/iteration ${(flops / 1e9).toFixed(1)} G; kernel ms/iteration ${total.toFixed(0)}`);
  const counts = nativeKernelCounts();
  for (const p of prof.slice(0, 40)) {
    const c = counts.get(p.kernel);
    const tag = c ? (c.fallback ? ` (fallback ${c.fallback}/${c.native + c.fallback})` : ' native') : ' cpu';
    const el = p.elements ? `${(p.elements / p.calls / 1e3).toFixed(0).padStart(5)}K el/call` : '';
    const gf = p.flops ? `${(p.flops / p.ms / 1e6).toFixed(1).padStart(6)} GFLOP/s` : el;
    console.log(`  ${p.kernel.padEnd(26)} ${(p.ms / iters).toFixed(1).padStart(8)} ms ${String(p.calls / iters).padStart(6)} calls  ${gf}${tag}`);
  }
  console.log('pool:', nativeInfo());
}
