/**
 * `npm run bench -- kernels [--reps N] [--json FILE] [--backends cpu,wasm,wasm-stock,native]`
 *
 * Median wall time and GFLOP/s of the kernels a DCGAN-32 (width 64, batch 64) spends its time in:
 * Conv2D, Conv2DBackpropInput (also tf.conv2dTranspose's forward pass), Conv2DBackpropFilter and
 * MatMul (forward NN and the NT / TN forms its gradient uses). Backends:
 * - `wasm`: TF.js wasm + the project's kernels (src/backends/wasm_kernels.ts);
 * - `wasm-stock`: the same binary with the shipped kernels put back ("before"; no BackpropFilter);
 * - `cpu`: pure JS, batch 2 and one run only (it is ~100× slower);
 * - `native`: when src/backends/native.ts registers one.
 * With env WGAN_WASM_THREADS=N the wasm backends run the multi-threaded binary (experimental).
 * FLOPs = 2·N·Ho·Wo·Cout·kh·kw·Cin for all three conv kernels, 2·M·K·N for MatMul.
 */
import * as tf from '@tensorflow/tfjs';
import { writeFile } from 'node:fs/promises';
import { initBackend } from '../src/backends/index.js';

interface ConvCase {
  kind: 'conv';
  name: string;
  x: [number, number, number, number];
  k: number;
  cout: number;
  stride: number;
  pad: 'same' | 'valid';
}
interface MatMulCase {
  kind: 'matmul';
  name: string;
  m: number;
  k: number;
  n: number;
  transposeA: boolean;
  transposeB: boolean;
}
type Case = ConvCase | MatMulCase;

export interface KernelResult {
  backend: string;
  kernel: string;
  shape: string;
  /** median wall time of the runs, ms */
  ms: number | null;
  /** fastest run, ms (the machine is shared: the gap to the median shows the noise) */
  minMs: number | null;
  /** GFLOP/s at the median */
  gflops: number | null;
  error?: string;
}

/** The layers of a DCGAN-32 critic / generator with width 64 (the generator runs them transposed). */
function cases(batch: number): Case[] {
  const conv = (x: [number, number, number, number], cout: number): ConvCase => ({
    kind: 'conv',
    name: `x[${x.join(',')}] 4x4 s2 same → ${cout}`,
    x,
    k: 4,
    cout,
    stride: 2,
    pad: 'same',
  });
  const mm = (m: number, k: number, n: number, tA = false, tB = false): MatMulCase => ({
    kind: 'matmul',
    name: `${m}×${k}×${n}${tA || tB ? ` (${tA ? 'T' : 'N'}${tB ? 'T' : 'N'})` : ''}`,
    m,
    k,
    n,
    transposeA: tA,
    transposeB: tB,
  });
  return [
    conv([batch, 32, 32, 3], 64),
    conv([batch, 16, 16, 64], 128),
    conv([batch, 8, 8, 128], 256),
    mm(batch, 4096, 1),
    mm(batch, 100, 4096),
    // gradient forms of the generator's dense layer: dA = dY·Bᵀ, dB = Aᵀ·dY
    mm(batch, 4096, 100, false, true),
    mm(100, batch, 4096, true, false),
  ];
}

function flops(c: Case): number {
  if (c.kind === 'matmul') return 2 * c.m * c.k * c.n;
  const [n, h, w, cin] = c.x;
  const ho = c.pad === 'same' ? Math.ceil(h / c.stride) : Math.floor((h - c.k) / c.stride) + 1;
  const wo = c.pad === 'same' ? Math.ceil(w / c.stride) : Math.floor((w - c.k) / c.stride) + 1;
  return 2 * n * ho * wo * c.cout * c.k * c.k * cin;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] ?? NaN;
}

/** Median and min ms of `reps` runs after one warm-up (cpu: no warm-up). */
function time(f: () => tf.Tensor, reps: number, warmup: boolean, sync: boolean): { median: number; min: number } {
  const ts: number[] = [];
  for (let i = warmup ? -1 : 0; i < reps; i++) {
    const t0 = performance.now();
    const y = f();
    if (sync) y.dataSync();
    const dt = performance.now() - t0;
    y.dispose();
    if (i >= 0) ts.push(dt);
  }
  return { median: median(ts), min: Math.min(...ts) };
}

function runCase(backend: string, c: Case, reps: number, warmup: boolean, sync: boolean): KernelResult[] {
  const out: KernelResult[] = [];
  const measure = (kernel: string, f: () => tf.Tensor): void => {
    try {
      const t = time(f, reps, warmup, sync);
      out.push({ backend, kernel, shape: c.name, ms: t.median, minMs: t.min, gflops: flops(c) / t.median / 1e6 });
    } catch (e) {
      out.push({
        backend,
        kernel,
        shape: c.name,
        ms: null,
        minMs: null,
        gflops: null,
        error: (e as Error).message.split('\n')[0] ?? '',
      });
    }
  };
  const e = tf.engine();
  if (c.kind === 'matmul') {
    const a = tf.randomNormal(c.transposeA ? [c.k, c.m] : [c.m, c.k]);
    const b = tf.randomNormal(c.transposeB ? [c.n, c.k] : [c.k, c.n]);
    measure(
      'MatMul',
      () => e.runKernel('BatchMatMul', { a, b }, { transposeA: c.transposeA, transposeB: c.transposeB }) as tf.Tensor,
    );
    tf.dispose([a, b]);
    return out;
  }
  const x = tf.randomNormal(c.x);
  const w = tf.randomNormal([c.k, c.k, c.x[3], c.cout]) as tf.Tensor4D;
  const dy = tf.randomNormal(tf.tidy(() => tf.conv2d(x as tf.Tensor4D, w, c.stride, c.pad)).shape);
  const conv = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', dilations: 1 };
  measure('Conv2D', () => e.runKernel('Conv2D', { x, filter: w }, conv) as tf.Tensor);
  measure(
    'Conv2DBackpropInput',
    () => e.runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...conv, inputShape: c.x }) as tf.Tensor,
  );
  measure(
    'Conv2DBackpropFilter',
    () => e.runKernel('Conv2DBackpropFilter', { x, dy }, { ...conv, filterShape: w.shape }) as tf.Tensor,
  );
  tf.dispose([x, w, dy]);
  return out;
}

function parseArgs(args: string[]): { reps: number; json?: string; backends: string[] } {
  let reps = 5;
  let json: string | undefined;
  let backends = ['cpu', 'wasm-stock', 'wasm', 'native'];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const v = args[i + 1];
    if (a === '--reps' && v) {
      reps = Math.max(1, Number(v));
      i++;
    } else if (a === '--json' && v) {
      json = v;
      i++;
    } else if (a === '--backends' && v) {
      backends = v.split(',');
      i++;
    } else throw new Error(`bench kernels: unknown argument '${a}' (use --reps N, --json FILE, --backends a,b)`);
  }
  return json === undefined ? { reps, backends } : { reps, json, backends };
}

const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));

export async function run(args: string[]): Promise<void> {
  const opt = parseArgs(args);
  const results: KernelResult[] = [];
  for (const b of opt.backends) {
    const kind = b === 'wasm-stock' ? 'wasm' : b;
    try {
      await initBackend(kind);
    } catch (e) {
      console.log(`# ${b}: unavailable (${(e as Error).message})`);
      continue;
    }
    const kernels = kind === 'wasm' ? await import('../src/backends/wasm_kernels.js') : undefined;
    if (b === 'wasm-stock') kernels?.unregisterWasmKernels();
    const isCpu = b === 'cpu';
    const threads = Number(process.env.WGAN_WASM_THREADS ?? 0);
    if (kind === 'wasm' && threads >= 2) console.log(`# WGAN_WASM_THREADS=${threads}: threaded SIMD wasm binary`);
    // cpu and wasm compute synchronously inside the kernel call; others may need a read to finish
    const sync = !(isCpu || kind === 'wasm');
    console.log(`# ${b}${isCpu ? ' (batch 2, 1 run)' : ` (batch 64, median of ${opt.reps})`}`);
    for (const c of cases(isCpu ? 2 : 64)) {
      for (const r of runCase(b, c, isCpu ? 1 : opt.reps, !isCpu, sync)) {
        results.push(r);
        const fig =
          r.ms === null
            ? `n/a: ${r.error}`
            : `${r.ms.toFixed(1).padStart(8)} ms ${r.gflops!.toFixed(2).padStart(7)} GFLOP/s  (min ${r.minMs!.toFixed(1)} ms)`;
        console.log(`${pad(b, 11)} ${pad(r.kernel, 21)} ${pad(r.shape, 32)} ${fig}`);
      }
    }
    if (b === 'wasm-stock') kernels?.registerWasmKernels();
  }
  if (opt.json) {
    await writeFile(
      opt.json,
      `${JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2)}\n`,
    );
    console.log(`# wrote ${opt.json}`);
  }
}
