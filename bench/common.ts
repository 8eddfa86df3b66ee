/**
 * Shared helpers of the benchmarks: argument parsing, the backends to compare, the machine's sgemm
 * ceiling (numpy/OpenBLAS, measured in the same run), and the PyTorch reference.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
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

/** sgemm GFLOP/s of numpy (OpenBLAS) at n = 1024…2048 with all cores: the machine's practical ceiling. */
export function sgemmCeiling(): number | null {
  try {
    const out = execFileSync(
      PY,
      [
        '-c',
        `
import numpy as np, time
best = 0
for n in (1024, 2048):
    a = np.random.rand(n, n).astype(np.float32); b = np.random.rand(n, n).astype(np.float32)
    a @ b
    for _ in range(3):
        t = time.perf_counter(); a @ b; dt = time.perf_counter() - t
        best = max(best, 2 * n**3 / dt / 1e9)
print(best)`,
      ],
      { encoding: 'utf8', env: { ...process.env, OPENBLAS_CORETYPE: '', OPENBLAS_L2_SIZE: '' } },
    );
    return Number(out.trim());
  } catch {
    return null;
  }
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
