// Times a DCGAN-32 WGAN-GP iteration (5 critic + 1 generator steps, batch 64, 32×32×3, widths 64,
// Adam) on a TF.js backend and, with WGAN_NATIVE_PROFILE=1 on `native`, prints the time per kernel.
// A stand-alone model (raw ops), so it measures the backend, not src/models.
//
//   npm run build && WGAN_NATIVE_PROFILE=1 node native/tools/profile_wgan.mjs [--backend native|wasm|cpu] [--iters 2] [--batch 64]
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../dist/src/backends/index.js';
import { kernelProfile, resetKernelProfile, nativeKernelCounts, resetNativeKernelCounts } from '../../dist/src/backends/native.js';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const backend = arg('backend', 'native');
const iters = Number(arg('iters', '2'));
const B = Number(arg('batch', '64'));
console.log('backend:', await initBackend(backend, console.log));

const rn = (shape, std = 0.02) => tf.variable(tf.randomNormal(shape, 0, std));
const zeros = (shape) => tf.variable(tf.zeros(shape));
const ones = (shape) => tf.variable(tf.ones(shape));
const ZD = 100;
const G = {
  w0: rn([ZD, 4 * 4 * 256]), b0: zeros([4 * 4 * 256]), g0: ones([256]), be0: zeros([256]),
  w1: rn([4, 4, 128, 256]), g1: ones([128]), be1: zeros([128]),
  w2: rn([4, 4, 64, 128]), g2: ones([64]), be2: zeros([64]),
  w3: rn([4, 4, 3, 64]), b3: zeros([3]),
};
const D = {
  c1: rn([4, 4, 3, 64]), b1: zeros([64]),
  c2: rn([4, 4, 64, 128]), b2: zeros([128]),
  c3: rn([4, 4, 128, 256]), b3: zeros([256]),
  w4: rn([4 * 4 * 256, 1]), b4: zeros([1]),
};
const bnRelu = (h, g, b) => {
  const { mean, variance } = tf.moments(h, [0, 1, 2]);
  return tf.relu(tf.batchNorm(h, mean, variance, b, g, 1e-5));
};
const gen = (z) => {
  const n = z.shape[0];
  let h = tf.reshape(tf.add(tf.matMul(z, G.w0), G.b0), [n, 4, 4, 256]);
  h = bnRelu(h, G.g0, G.be0);
  h = bnRelu(tf.conv2dTranspose(h, G.w1, [n, 8, 8, 128], 2, 'same'), G.g1, G.be1);
  h = bnRelu(tf.conv2dTranspose(h, G.w2, [n, 16, 16, 64], 2, 'same'), G.g2, G.be2);
  return tf.tanh(tf.add(tf.conv2dTranspose(h, G.w3, [n, 32, 32, 3], 2, 'same'), G.b3));
};
const lrelu = (x) => tf.add(tf.mul(0.6, x), tf.mul(0.4, tf.abs(x)));
const critic = (x) => {
  const n = x.shape[0];
  let h = lrelu(tf.add(tf.conv2d(x, D.c1, 2, 'same'), D.b1));
  h = lrelu(tf.add(tf.conv2d(h, D.c2, 2, 'same'), D.b2));
  h = lrelu(tf.add(tf.conv2d(h, D.c3, 2, 'same'), D.b3));
  return tf.add(tf.matMul(tf.reshape(h, [n, 4 * 4 * 256]), D.w4), D.b4);
};
const optD = tf.train.adam(1e-4, 0.5, 0.9);
const optG = tf.train.adam(1e-4, 0.5, 0.9);
const real = tf.randomUniform([B, 32, 32, 3], -1, 1);

function criticStep() {
  const z = tf.randomNormal([B, ZD]);
  const cost = optD.minimize(() => {
    const fake = gen(z);
    const eps = tf.randomUniform([B, 1, 1, 1]);
    const xh = tf.add(tf.mul(eps, real), tf.mul(tf.sub(1, eps), fake));
    const gx = tf.grad((x) => tf.sum(critic(x)))(xh);
    const norm = tf.sqrt(tf.add(tf.sum(tf.square(gx), [1, 2, 3]), 1e-12));
    const gp = tf.mean(tf.square(tf.sub(norm, 1)));
    return tf.add(tf.sub(tf.mean(critic(fake)), tf.mean(critic(real))), tf.mul(10, gp));
  }, true, Object.values(D));
  z.dispose();
  return cost;
}
function genStep() {
  const z = tf.randomNormal([B, ZD]);
  const cost = optG.minimize(() => tf.neg(tf.mean(critic(gen(z)))), true, Object.values(G));
  z.dispose();
  return cost;
}
function iteration() {
  for (let i = 0; i < 5; i++) tf.dispose(criticStep());
  const c = genStep();
  const v = c.dataSync()[0];
  c.dispose();
  return v;
}

iteration(); // warm-up (creates the Adam slots)
resetKernelProfile();
resetNativeKernelCounts();
const times = [];
const cpu0 = process.cpuUsage();
for (let i = 0; i < iters; i++) {
  const t0 = performance.now();
  iteration();
  times.push(performance.now() - t0);
}
const cpu = process.cpuUsage(cpu0);
// CPU time is less sensitive than wall time to other processes on a shared machine.
console.log(`iteration ms: ${times.map((t) => t.toFixed(0)).join(', ')}  cpu-seconds/iteration ${((cpu.user + cpu.system) / 1e6 / iters).toFixed(2)}  (numTensors ${tf.memory().numTensors})`);
const prof = kernelProfile();
if (prof.length) {
  const total = prof.reduce((a, p) => a + p.ms, 0);
  const flops = prof.reduce((a, p) => a + p.flops, 0) / iters;
  console.log(`GEMM FLOPs per iteration: ${(flops / 1e9).toFixed(1)} G`);
  console.log(`kernel time per iteration: ${(total / iters).toFixed(0)} ms of ${(times.reduce((a, b) => a + b) / iters).toFixed(0)} ms`);
  const counts = nativeKernelCounts();
  for (const p of prof.slice(0, 40)) {
    const c = counts.get(p.kernel);
    const tag = c ? (c.fallback ? ` (fallback ${c.fallback}/${c.native + c.fallback})` : ' native') : '';
    const el = p.elements ? `  ${(p.elements / p.calls / 1e3).toFixed(0).padStart(5)}K el/call ${(p.elements / p.ms / 1e6).toFixed(2).padStart(6)} Gel/s` : '';
    const gf = p.flops ? `  ${(p.flops / iters / 1e9).toFixed(1).padStart(6)} GFLOP ${(p.flops / p.ms / 1e6).toFixed(1).padStart(6)} GFLOP/s` : '';
    console.log(`  ${p.kernel.padEnd(24)} ${(p.ms / iters).toFixed(1).padStart(8)} ms  ${String(p.calls / iters).padStart(5)} calls${gf || el}${tag}`);
  }
}
const { nativeInfo } = await import('../../dist/src/backends/native.js');
console.log('pool:', nativeInfo());
