/**
 * `npm run bench -- train [--backends native,wasm,cpu] [--size 32] [--channels 3] [--batch 64]
 *  [--width 64] [--iters 3] [--loss wgan-gp] [--no-torch] [--json FILE]`
 *
 * ms per WGAN-GP iteration (5 critic steps + 1 generator step) and real images/s, per backend, with
 * GFLOP/s and % of the machine's sgemm ceiling; PyTorch (if installed) on the same networks. On the
 * native backend, one more profiled pass gives each op kind's share of the iteration (opShares): the
 * kernels by name (conv forward / backprop input / backprop filter, matmul, norms, activations, …),
 * the TF.js engine and JS between them, and — from critic steps with and without it, and with and
 * without the critic's layer norm — the gradient penalty's passes (its forward, first- and
 * second-order backward) and the layer norm. The machine (CPU model, flags) goes into the JSON.
 */
import * as tf from '@tensorflow/tfjs';
import { resolveConfig } from '../src/config/config.js';
import { buildModels } from '../src/models/index.js';
import { makeTrainer, criticStep, generatorStep } from '../src/train/steps.js';
import { iterationFlops } from '../src/train/loop.js';
import {
  parseFlags,
  timeMs,
  backendsToRun,
  useBackend,
  sgemmCeiling,
  ceilingOfRun,
  pytorchRef,
  writeJson,
  machineInfo,
  machineLine,
  median,
} from './common.js';
import { kernelProfile, resetKernelProfile, setKernelProfiling } from '../src/backends/native.js';
import {
  FUSED_ADAM_KERNEL,
  LAYER_NORM_GRAD_GAMMA_KERNEL,
  LAYER_NORM_GRAD_X_GRAD_KERNEL,
  LAYER_NORM_GRAD_X_KERNEL,
  LAYER_NORM_KERNEL,
} from '../src/backends/kernel_names.js';
import type { TrainConfig } from '../src/config/config.js';

/** Op kinds of the per-kernel profile, by TF.js kernel name (first match wins; the rest is "other kernels"). */
const OP_KINDS: readonly [string, RegExp][] = [
  ['conv2d forward', /^(Conv2D|FusedConv2D)$/],
  ['conv2d backprop input', /^Conv2DBackpropInput$/],
  ['conv2d backprop filter', /^Conv2DBackpropFilter$/],
  ['matmul', /^(BatchMatMul|_FusedMatMul)$/],
  ['batch norm (G, inference affine)', /^FusedBatchNorm$/],
  ['activations and their gradients', /^(Relu|Relu6|LeakyRelu|Prelu|Sigmoid|Tanh|Elu|Selu|Step|Softplus)$/],
  [
    'elementwise arithmetic',
    /^(Add|AddN|Sub|Multiply|RealDiv|SquaredDifference|Maximum|Minimum|Pow|Abs|Neg|Exp|Log|Sqrt|Rsqrt|Square|Sign|Reciprocal|Log1p|ClipByValue|Greater|GreaterEqual|Less|LessEqual|Equal|Select)$/,
  ],
  ['reductions (norm moments, losses)', /^(Sum|Mean|Max|Min|Prod)$/],
  ['optimizer (fused Adam)', new RegExp(`^${FUSED_ADAM_KERNEL}$`)],
  // The critic's fused layer norm: forward, first-order and second-order gradient kernels.
  [
    'layer norm (critic, fused kernels)',
    new RegExp(
      `^(${[LAYER_NORM_KERNEL, LAYER_NORM_GRAD_X_KERNEL, LAYER_NORM_GRAD_GAMMA_KERNEL, LAYER_NORM_GRAD_X_GRAD_KERNEL].join('|')})$`,
    ),
  ],
  [
    'data movement',
    /^(Transpose|Tile|Reshape|Identity|Cast|Slice|Concat|Pad|GatherV2|Fill|ZerosLike|OnesLike|Pack|Unpack)$/,
  ],
];

export interface OpShare {
  kind: string;
  msPerIteration: number;
  share: number;
  /** GEMM FLOPs executed per iteration (the GEMM-based kinds), and their rate. */
  gflop?: number;
  gflops?: number;
}

/**
 * One iteration's time per op kind on the native backend, from `passes` profiled iterations (the
 * kernel timer adds a clock read per kernel, so the unprofiled figure stays the headline). Shares are
 * of the profiled iteration's wall time; what no kernel accounts for is the engine's bookkeeping,
 * tapes and JS between kernels.
 */
async function opShares(
  config: TrainConfig,
  size: number,
  channels: number,
  batch: number,
  passes: number,
): Promise<{
  shares: OpShare[];
  penalty: { msPerCriticStep: number; msPerIteration: number; share: number };
  layerNorm: { msPerCriticStep: number; share: number } | null;
  profiledMsPerIteration: number;
}> {
  // gpEvery 2: critic step index 0 takes the penalty, index 1 does not — the same trainer measures both.
  const c2 = { ...config, gpEvery: 2 };
  const t = makeTrainer(buildModels('dcgan', { ...c2 }), c2);
  const real = tf.randomUniform([batch, size, size, channels], -1, 1) as tf.Tensor4D;
  const iteration = () => {
    for (let k = 0; k < config.nCritic; k++) criticStep(t, real, 0);
    generatorStep(t, batch);
  };
  iteration(); // warm-up
  setKernelProfiling(true);
  resetKernelProfile();
  const walls: number[] = [];
  for (let i = 0; i < passes; i++) {
    const t0 = performance.now();
    iteration();
    walls.push(performance.now() - t0);
  }
  setKernelProfiling(false);
  const prof = kernelProfile();
  const wall = walls.reduce((a, b) => a + b, 0) / passes;
  const byKind = new Map<string, { ms: number; flops: number }>();
  for (const k of prof) {
    const kind = OP_KINDS.find(([, re]) => re.test(k.kernel))?.[0] ?? 'other kernels';
    const e = byKind.get(kind) ?? { ms: 0, flops: 0 };
    e.ms += k.ms / passes;
    e.flops += k.flops / passes;
    byKind.set(kind, e);
  }
  const kernelMs = [...byKind.values()].reduce((a, e) => a + e.ms, 0);
  byKind.set('engine, tapes and JS between kernels', { ms: Math.max(0, wall - kernelMs), flops: 0 });
  const shares: OpShare[] = [...byKind.entries()]
    .map(([kind, e]) => ({
      kind,
      msPerIteration: e.ms,
      share: e.ms / wall,
      ...(e.flops > 0 ? { gflop: e.flops / 1e9, gflops: e.flops / 1e6 / e.ms } : {}),
    }))
    .sort((a, b) => b.msPerIteration - a.msPerIteration);
  // The penalty: critic steps with (index 0) and without (index 1) it, interleaved, medians.
  const withP: number[] = [],
    without: number[] = [];
  for (let i = 0; i < 2 * passes + 1; i++) {
    for (const [idx, into] of [
      [0, withP],
      [1, without],
    ] as const) {
      const t0 = performance.now();
      criticStep(t, real, idx);
      into.push(performance.now() - t0);
    }
  }
  const pen = median(withP) - median(without);
  // The critic's layer norm: no-penalty critic steps of the same network without it.
  let layerNorm = null;
  if (config.criticNorm === 'layer') {
    const cn = { ...c2, criticNorm: 'none' as const };
    const tn = makeTrainer(buildModels('dcgan', { ...cn }), cn);
    const plain: number[] = [];
    criticStep(tn, real, 1);
    for (let i = 0; i < 2 * passes + 1; i++) {
      const t0 = performance.now();
      criticStep(tn, real, 1);
      plain.push(performance.now() - t0);
    }
    const ln = median(without) - median(plain);
    layerNorm = { msPerCriticStep: ln, share: (ln * config.nCritic) / wall };
    disposeTrainer(tn);
  }
  real.dispose();
  disposeTrainer(t);
  return {
    shares,
    penalty: { msPerCriticStep: pen, msPerIteration: pen * config.nCritic, share: (pen * config.nCritic) / wall },
    layerNorm,
    profiledMsPerIteration: wall,
  };
}

function disposeTrainer(t: ReturnType<typeof makeTrainer>): void {
  t.gOpt.dispose();
  t.dOpt.dispose();
  tf.dispose([...t.models.generator.weights.map((w) => w.read()), ...t.models.critic.weights.map((w) => w.read())]);
}

export async function run(args: string[]): Promise<void> {
  const f = parseFlags(args, [
    'backends',
    'batch',
    'channels',
    'iters',
    'json',
    'loss',
    'size',
    'width',
    'no-torch',
    'no-profile',
  ]);
  const size = Number(f.size ?? 32),
    channels = Number(f.channels ?? 3),
    batch = Number(f.batch ?? 64),
    width = Number(f.width ?? 64),
    n = Number(f.iters ?? 3);
  const config = resolveConfig({ size, channels, batch, gWidth: width, dWidth: width, loss: f.loss ?? 'wgan-gp' });
  console.log(
    `bench train: ${config.loss} iteration = ${config.nCritic} critic + 1 generator steps, batch ${batch}, ${size}×${size}×${channels}, widths ${width}; median of ${n}`,
  );
  const machine = machineInfo();
  console.log(machineLine(machine));
  const before = sgemmCeiling();
  let profile: (Awaited<ReturnType<typeof opShares>> & { unprofiledMsPerIteration: number }) | null = null;
  const results: {
    backend: string;
    msPerIteration: number;
    imagesPerSec: number;
    gflopPerIteration: number;
    gflops: number;
    pctOfSgemm: number | null;
  }[] = [];
  for (const b of await backendsToRun(f)) {
    await useBackend(b);
    const t = makeTrainer(buildModels('dcgan', { ...config }), config);
    const real = tf.randomUniform([batch, size, size, channels], -1, 1) as tf.Tensor4D;
    const ms = await timeMs(() => {
      for (let k = 0; k < config.nCritic; k++) criticStep(t, real);
      generatorStep(t, batch);
    }, n);
    const gflops = iterationFlops(t) / 1e9;
    const row = {
      backend: b,
      msPerIteration: ms,
      imagesPerSec: (batch * config.nCritic) / (ms / 1000),
      gflopPerIteration: gflops,
      gflops: gflops / (ms / 1000),
      pctOfSgemm: null as number | null,
    };
    results.push(row);
    console.log(
      `  ${b.padEnd(7)} ${ms.toFixed(0).padStart(7)} ms/iter  ${row.imagesPerSec.toFixed(1).padStart(7)} img/s  ${row.gflops.toFixed(1).padStart(6)} GFLOP/s`,
    );
    real.dispose();
    disposeTrainer(t);
    if (b === 'native' && f['no-profile'] !== 'true') {
      const p = await opShares(config, size, channels, batch, n);
      profile = { ...p, unprofiledMsPerIteration: ms };
      console.log(
        `  native, time per op kind (one profiled pass of ${n} iterations, ${p.profiledMsPerIteration.toFixed(0)} ms/iter with the kernel timer):`,
      );
      for (const s of p.shares)
        console.log(
          `    ${s.kind.padEnd(38)} ${s.msPerIteration.toFixed(1).padStart(8)} ms  ${(100 * s.share).toFixed(1).padStart(5)} %${s.gflops ? `  ${s.gflop!.toFixed(1)} GFLOP at ${s.gflops.toFixed(0)} GFLOP/s` : ''}`,
        );
      // A difference of two medians: on a loaded machine a small part can come out below its noise.
      const diff = (ms: number, share: number) =>
        ms > 0 ? `${ms.toFixed(0)} ms = ${(100 * share).toFixed(1)} %` : `below this run's noise (${ms.toFixed(0)} ms)`;
      console.log(
        `    of which the gradient penalty (its forward, first- and second-order passes; critic steps with − without it): ${diff(p.penalty.msPerIteration, p.penalty.share)}`,
      );
      if (p.layerNorm)
        console.log(
          `    of which the critic's layer norm (critic steps with − without it, forward and backward): ${diff(p.layerNorm.msPerCriticStep * config.nCritic, p.layerNorm.share)}`,
        );
    }
  }
  const ceiling = ceilingOfRun(before, sgemmCeiling());
  for (const r of results) {
    r.pctOfSgemm = ceiling ? (100 * r.gflops) / ceiling : null;
    if (ceiling) console.log(`  ${String(r.backend).padEnd(7)} ${r.pctOfSgemm!.toFixed(0)}% of the sgemm ceiling`);
  }
  if (ceiling && profile)
    for (const s of profile.shares)
      if (s.gflops) console.log(`  native ${s.kind}: ${((100 * s.gflops) / ceiling).toFixed(0)}% of the sgemm ceiling`);
  let torch = null;
  if (f['no-torch'] !== 'true') {
    torch = pytorchRef([
      '--size',
      String(size),
      '--channels',
      String(channels),
      '--batch',
      String(batch),
      '--width',
      String(width),
      '--iters',
      String(n),
    ]);
    if (torch) {
      console.log(`  pytorch ${torch.torch}: ${torch.wganGpIterationMs.toFixed(0)} ms/iter`);
      for (const r of results)
        console.log(
          `  ${String(r.backend).padEnd(7)} time / PyTorch time = ${((r.msPerIteration as number) / torch.wganGpIterationMs).toFixed(3)}`,
        );
    }
  }
  writeJson(f.json, {
    bench: 'train',
    config: { size, channels, batch, width, loss: config.loss, nCritic: config.nCritic },
    machine,
    sgemmCeilingGflops: ceiling,
    results,
    opShares: profile,
    pytorch: torch,
  });
}
