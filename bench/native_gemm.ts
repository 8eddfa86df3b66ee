/**
 * Native addon micro-benchmark: sgemm GFLOP/s for n = 512…2048 and the conv kernels on DCGAN-32
 * shapes (critic convs 4×4 stride 2 'same', the generator's transposed convs in reverse), calling the
 * addon directly (no TF.js overhead).
 *
 *   node dist/bench/native_gemm.js [--threads N] [--generic] [--reps R] [--size 32] [--channels 3] [--width 64] [--batch 64]
 *
 * --threads 1 measures one core; --kernel picks the micro-kernel (default: the best this CPU runs),
 * --generic is --kernel generic. `--against OTHER.node` loads a second build of the addon (say, main's,
 * copied aside before rebuilding) and times the conv kernels of both interleaved in this one process,
 * printing each pair's medians, their ratio and whether the outputs are bit-identical: an A/B of a
 * native change that the host's drift between runs cannot bias.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseFlags } from './common.js';
import { loadNativeAddon, nativeLoadError, type NativeAddon } from '../src/backends/native.js';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function rand(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.sin(i * 12.9898) * 0.5;
  return a;
}

/** Median milliseconds of `reps` runs after one warm-up. */
function time(reps: number, f: () => void): number {
  f();
  const ts: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    f();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

interface ConvShape {
  label: string;
  n: number;
  h: number;
  w: number;
  ci: number;
  k: number;
  s: number;
  co: number;
}

/**
 * The DCGAN critic's convs (4×4 stride 2 'same', size → size/2 … → 4, widths w, 2w, 4w …; 32 px,
 * 3 channels, width 64 by default: [64,32,32,3]→64, [64,16,16,64]→128, [64,8,8,128]→256). The
 * generator's transposed convs are the same convolutions run backwards (Conv2DBackpropInput with the
 * small tensor as dy).
 */
function criticShapes(size: number, channels: number, width: number, batch: number): ConvShape[] {
  const out: ConvShape[] = [];
  for (let h = size, ci = channels, co = width; h > 4; h /= 2, ci = co, co *= 2)
    out.push({ label: `[${batch},${h},${h},${ci}]→${co}`, n: batch, h, w: h, ci, k: 4, s: 2, co });
  return out;
}

function convParams(c: ConvShape): { params: Int32Array; ho: number; wo: number } {
  const ho = Math.ceil(c.h / c.s);
  const wo = Math.ceil(c.w / c.s);
  // 'same' padding: total = max((ho-1)·s + k - h, 0), top = floor(total/2).
  const pt = Math.floor(Math.max((ho - 1) * c.s + c.k - c.h, 0) / 2);
  const pl = Math.floor(Math.max((wo - 1) * c.s + c.k - c.w, 0) / 2);
  return { params: Int32Array.from([c.n, c.h, c.w, c.ci, c.k, c.k, c.co, ho, wo, c.s, c.s, pt, pl, 1, 1]), ho, wo };
}

function benchGemm(A: NativeAddon, reps: number): void {
  console.log('sgemm (row-major, C = A·B)        n   ms      GFLOP/s');
  for (const n of [512, 768, 1024, 1536, 2048]) {
    const a = rand(n * n);
    const b = rand(n * n);
    const c = new Float32Array(n * n);
    const p = Int32Array.from([1, n, n, n, 0, 0, 0, 0, 0]);
    const ms = time(n >= 1536 ? Math.max(3, reps >> 1) : reps, () => A.gemm(a, b, c, p));
    console.log(
      `  ${String(n).padStart(34)}   ${ms.toFixed(2).padStart(7)}  ${((2 * n ** 3) / ms / 1e6).toFixed(1).padStart(6)}`,
    );
  }
  for (const [ta, tb] of [
    [1, 0],
    [0, 1],
  ] as const) {
    const n = 1024;
    const a = rand(n * n);
    const b = rand(n * n);
    const c = new Float32Array(n * n);
    const ms = time(reps, () => A.gemm(a, b, c, Int32Array.from([1, n, n, n, ta, tb, 0, 0, 0])));
    console.log(
      `  n=1024 transA=${ta} transB=${tb}                ${ms.toFixed(2).padStart(7)}  ${((2 * n ** 3) / ms / 1e6).toFixed(1).padStart(6)}`,
    );
  }
}

function benchConv(A: NativeAddon, reps: number, shapes: ConvShape[]): void {
  console.log('conv (NHWC, 4x4 stride 2 same)     forward      backprop-input   backprop-filter   (GFLOP/s, ms)');
  for (const c of shapes) {
    const { params, ho, wo } = convParams(c);
    const x = rand(c.n * c.h * c.w * c.ci);
    const f = rand(c.k * c.k * c.ci * c.co);
    const y = new Float32Array(c.n * ho * wo * c.co);
    const flops = 2 * c.n * ho * wo * c.co * c.k * c.k * c.ci;
    const fw = time(reps, () => A.conv2d(x, f, y, params));
    const bi = time(reps, () => A.conv2dBackpropInput(y, f, x, params));
    const bf = time(reps, () => A.conv2dBackpropFilter(x, y, f, params));
    const g = (ms: number): string => `${(flops / ms / 1e6).toFixed(1).padStart(6)} ${ms.toFixed(2).padStart(6)}ms`;
    console.log(`  ${c.label.padEnd(30)} ${g(fw)}  ${g(bi)}  ${g(bf)}`);
  }
  console.log(
    '  (generator conv2dTranspose = backprop-input of the row in reverse: [64,4,4,256]→[64,8,8,128] is row 3, etc.)',
  );
}

/** The conv kernels of two addon builds, interleaved run by run (order alternating), same inputs. */
function compareConv(A: NativeAddon, B: NativeAddon, reps: number, shapes: ConvShape[]): void {
  console.log('conv (NHWC, 4x4 stride 2 same): GFLOP/s of this build | the other, ×speed-up of this build (medians)');
  const kinds = [
    [
      'forward',
      (M: NativeAddon, x: Float32Array, f: Float32Array, y: Float32Array, p: Int32Array) => M.conv2d(x, f, y, p),
    ],
    [
      'input',
      (M: NativeAddon, x: Float32Array, f: Float32Array, y: Float32Array, p: Int32Array) =>
        M.conv2dBackpropInput(y, f, x, p),
    ],
    [
      'filter',
      (M: NativeAddon, x: Float32Array, f: Float32Array, y: Float32Array, p: Int32Array) =>
        M.conv2dBackpropFilter(x, y, f, p),
    ],
  ] as const;
  for (const c of shapes) {
    const { params, ho, wo } = convParams(c);
    const flops = 2 * c.n * ho * wo * c.co * c.k * c.k * c.ci;
    const cells: string[] = [];
    for (const [name, call] of kinds) {
      // Each build writes its own output array; the inputs of the other two are shared and read-only.
      const bufs = [A, B].map(() => ({
        x: rand(c.n * c.h * c.w * c.ci),
        f: rand(c.k * c.k * c.ci * c.co),
        y: rand(c.n * ho * wo * c.co),
      }));
      const ts: number[][] = [[], []];
      for (const [i, M] of [A, B].entries()) call(M, bufs[i]!.x, bufs[i]!.f, bufs[i]!.y, params);
      for (let r = 0; r < 2 * reps; r++)
        for (const i of r % 2 ? [1, 0] : [0, 1]) {
          const b = bufs[i]!;
          const t0 = performance.now();
          call(i ? B : A, b.x, b.f, b.y, params);
          ts[i]!.push(performance.now() - t0);
        }
      const out = name === 'forward' ? 'y' : name === 'input' ? 'x' : 'f';
      const same = bufs[0]![out].every((v, i) => Object.is(v, bufs[1]![out][i]));
      const [a, b] = ts.map(median) as [number, number];
      cells.push(
        `${name} ${(flops / a / 1e6).toFixed(0)} | ${(flops / b / 1e6).toFixed(0)}, ×${(b / a).toFixed(2)}${same ? '' : ' (outputs differ)'}`,
      );
    }
    console.log(`  ${c.label.padEnd(22)} ${cells.join('   ')}`);
  }
}

export async function run(args: string[]): Promise<void> {
  const A = loadNativeAddon();
  if (!A) {
    console.log(`native addon unavailable: ${nativeLoadError()}`);
    return;
  }
  const f = parseFlags(args, ['threads', 'generic', 'kernel', 'reps', 'size', 'channels', 'width', 'batch', 'against']);
  const other = f.against ? (createRequire(import.meta.url)(path.resolve(f.against)) as NativeAddon) : undefined;
  if (other && f.threads) other.setThreads(Number(f.threads));
  if (f.threads) A.setThreads(Number(f.threads));
  if (f.generic === 'true') A.forceGeneric(true);
  if (f.kernel && !A.setKernel(f.kernel)) {
    console.log(`this CPU cannot run the ${f.kernel} micro-kernel`);
    return;
  }
  const reps = f.reps ? Number(f.reps) : 7;
  const info = A.info();
  console.log(`native addon: ${info.kernel} micro-kernel, ${info.threads} thread(s)`);
  const shapes = criticShapes(
    Number(f.size ?? 32),
    Number(f.channels ?? 3),
    Number(f.width ?? 64),
    Number(f.batch ?? 64),
  );
  if (other) return compareConv(A, other, Math.max(reps, 15), shapes);
  benchGemm(A, reps);
  benchConv(A, reps, shapes);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\/dist\//, '/dist/'))) {
  await run(process.argv.slice(2));
}
