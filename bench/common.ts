/**
 * Shared helpers of the benchmarks: argument parsing, the backends to compare, the machine's sgemm
 * ceiling (numpy/OpenBLAS, measured in the same run), and the PyTorch reference.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend, loadableBackends } from '../src/backends/index.js';

/**
 * `--name value`, `--name=value` and bare `--flag` ('true') into a record. `known` lists the names the
 * benchmark reads: anything else (a typo such as --backend for --backends) or a stray argument is an
 * error, not a silently different measurement.
 */
export function parseFlags(args: string[], known: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const usage = `options: ${known.map((k) => `--${k}`).join(', ')}`;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument '${a}' (${usage})`);
    const [k, v] = a.slice(2).split('=');
    if (!known.includes(k!)) throw new Error(`unknown option --${k} (${usage})`);
    if (v !== undefined) out[k!] = v;
    else if (args[i + 1] && !args[i + 1]!.startsWith('--')) out[k!] = args[++i]!;
    else out[k!] = 'true';
  }
  return out;
}

/** parseFlags for the dev tools (tools/*.ts), which run at top level: a bad flag is one line and exit 2. */
export function toolFlags(tool: string, known: readonly string[]): Record<string, string> {
  try {
    return parseFlags(process.argv.slice(2), known);
  } catch (e) {
    console.error(`${tool}: ${(e as Error).message}`);
    process.exit(2);
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Time `fn` `n` times after `warmup` calls; returns the median in ms. */
export async function timeMs(fn: () => unknown | Promise<unknown>, n: number, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    ts.push(performance.now() - t);
  }
  return median(ts);
}

/** Backends to run: --backends a,b or every one that loads among native, wasm (cpu only on request). */
export async function backendsToRun(flags: Record<string, string>): Promise<string[]> {
  const want = flags.backends ? flags.backends.split(',') : ['native', 'wasm'];
  return loadableBackends(want, (b, why) => console.log(`  (${b}: not available — ${why})`));
}

export async function useBackend(b: string): Promise<void> {
  await initBackend(b);
  if (tf.getBackend() !== b) throw new Error(`backend ${b} not active`);
}

const PY = '/usr/bin/python3';

/**
 * The ceiling a run's percentages are quoted against: the larger of the measurements taken before
 * and after the backends ran (what the machine could do while the benchmark ran — conservative, as
 * the machine's speed drifts by ±10 % from minute to minute here). Printed with both readings.
 */
export function ceilingOfRun(before: number | null, after: number | null): number | null {
  const c = Math.max(before ?? 0, after ?? 0);
  if (c > 0)
    console.log(
      `  sgemm ceiling (numpy/OpenBLAS, all cores): ${c.toFixed(1)} GFLOP/s (measured before: ${before?.toFixed(1) ?? '—'}, after: ${after?.toFixed(1) ?? '—'})`,
    );
  return c > 0 ? c : null;
}

/**
 * The least sgemm rate (GFLOP/s per core, n = 1024…2048) an optimised BLAS gives on any x86-64 of the
 * last decade (OpenBLAS reaches 60–150 per core with AVX2/AVX-512); the netlib reference BLAS gives
 * 2–5 in all (it is single-threaded): numpy linked to it once read 4.7 GFLOP/s, which turned every
 * percentage of the ceiling into several thousand.
 */
export const MIN_SGEMM_GFLOPS_PER_CORE = 10;

/** Why numpy's sgemm cannot serve as the ceiling (null: it can), from its loaded BLAS and its rate. */
export function ceilingRefusal(gflops: number, blasLibs: string[], cores = os.cpus().length): string | null {
  const names = blasLibs.map((l) => path.basename(l)).join(', ') || 'no BLAS library found in the process';
  const optimised = blasLibs.some((l) => /openblas|mkl|blis|atlas|armpl|accelerate/i.test(l));
  const floor = MIN_SGEMM_GFLOPS_PER_CORE * cores;
  if (!optimised)
    return `numpy uses no optimised BLAS (${names}; ${gflops.toFixed(1)} GFLOP/s) — install OpenBLAS (\`apt-get install libopenblas0\`) for a ceiling`;
  if (gflops < floor)
    return `numpy's sgemm reads ${gflops.toFixed(1)} GFLOP/s (${names}), below the ${floor} GFLOP/s any optimised BLAS gives on ${cores} cores — BLAS misconfigured (OPENBLAS_NUM_THREADS=1?) or the machine saturated`;
  return null;
}

/**
 * sgemm GFLOP/s of numpy at n = 1024…2048 with all cores: the machine's practical ceiling. null — with
 * one line saying why — when numpy or an optimised BLAS is missing (ceilingRefusal): a ceiling read
 * from the reference BLAS would make every percentage absurd.
 */
export function sgemmCeiling(): number | null {
  let out: string;
  try {
    out = execFileSync(
      PY,
      [
        '-c',
        `
import numpy as np, time, json
best = 0
for n in (1024, 2048):
    a = np.random.rand(n, n).astype(np.float32); b = np.random.rand(n, n).astype(np.float32)
    a @ b
    for _ in range(3):
        t = time.perf_counter(); a @ b; dt = time.perf_counter() - t
        best = max(best, 2 * n**3 / dt / 1e9)
# The BLAS actually loaded (Debian's libblas.so.3 is an alternative: OpenBLAS or the reference).
libs = sorted({l.split()[-1] for l in open('/proc/self/maps') if 'blas' in l.lower() or 'libmkl' in l.lower()})
print(json.dumps({'gflops': best, 'blas': libs}))`,
      ],
      { encoding: 'utf8', env: { ...process.env, OPENBLAS_CORETYPE: '', OPENBLAS_L2_SIZE: '' } },
    );
  } catch {
    console.log(`  sgemm ceiling: not measured (${PY} with numpy is missing)`);
    return null;
  }
  const r = JSON.parse(out.trim().split('\n').at(-1)!) as { gflops: number; blas: string[] };
  const why = ceilingRefusal(r.gflops, r.blas);
  if (why) {
    console.log(`  sgemm ceiling: refused — ${why}; no percentages of the ceiling in this run`);
    return null;
  }
  return r.gflops;
}

/** The CPU flags that decide which kernels run (native GEMM: avx512f or avx2+fma; wasm: sse4.1 → SIMD). */
const CPU_FLAGS = [
  'sse4_1',
  'sse4_2',
  'avx',
  'avx2',
  'fma',
  'f16c',
  'avx512f',
  'avx512bw',
  'avx512vl',
  'avx512_vnni',
  'amx_tile',
];

/** The machine a figure was measured on, for the JSON: CPU model, cores, the relevant flags (/proc/cpuinfo), load. */
export function machineInfo(): {
  cpuModel: string;
  cores: number;
  flags: string[];
  loadAverage: number[];
  cpuinfo: { family: string; model: string; stepping: string };
} {
  let text = '';
  try {
    text = fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // not Linux: the model from os.cpus() below, no flags
  }
  const field = (k: string) => text.match(new RegExp(`^${k}\\s*:\\s*(.*)$`, 'm'))?.[1]?.trim();
  const have = new Set((field('flags') ?? '').split(/\s+/));
  return {
    cpuModel: field('model name') ?? os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    flags: CPU_FLAGS.filter((f) => have.has(f)),
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
    cpuinfo: { family: field('cpu family') ?? '', model: field('model') ?? '', stepping: field('stepping') ?? '' },
  };
}

/** One line for the console: model, cores and flags. */
export function machineLine(m = machineInfo()): string {
  return `  machine: ${m.cpuModel}, ${m.cores} cores, ${m.flags.join(' ') || 'no SIMD flags read'}; load average ${m.loadAverage.join(' ')}`;
}

/** Run bench/pytorch_ref.py if Debian's python3-torch is installed; null otherwise. */
export function pytorchRef(
  args: string[],
): { wganGpIterationMs: number; completionIterationMs: number; torch: string } | null {
  const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'pytorch_ref.py');
  try {
    execFileSync(PY, ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    console.log('  (PyTorch reference skipped: python3-torch is not installed; `apt-get install python3-torch`)');
    return null;
  }
  const out = execFileSync(PY, [script, ...args], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

export function writeJson(file: string | undefined, data: unknown): void {
  if (!file || file === 'true') return;
  fs.writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  console.log(`  figures written to ${file}`);
}
