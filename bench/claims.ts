/**
 * `npm run bench -- claims [--losses wgan,wgan-gp,gan] [--models dcgan,mlp] [--g-width N --d-width N]
 *  [--batch 64] [--size 32] [--iters N] [--seeds S] [--steps 5] [--backend native] [--json FILE]`
 *
 * Defaults are the experiment's (CLAIMS_DEFAULTS: 1000 iterations, 2 seeds, dcgan width 32, mlp 512).
 * Seconds per critic step and per generator step of every (loss, model) cell of the claims grid, one
 * FD/modes measurement, and the projected time of the grid at --iters × --seeds — with the machine's
 * contention while measuring (load average, and the CPU share this process got: CPU time / wall time,
 * out of the core count), because the machine is shared.
 */
import os from 'node:os';
import { resolveConfig } from '../src/config/config.js';
import { buildClassifier } from '../src/classifier/classifier.js';
import { measureCell, projectRunSeconds } from '../src/experiment/budget.js';
import { CLAIMS_DEFAULTS } from '../src/experiment/claims.js';
import { parseFlags, useBackend, writeJson } from './common.js';

export async function run(args: string[]): Promise<void> {
  const f = parseFlags(args, [
    'backend',
    'batch',
    'iters',
    'json',
    'losses',
    'models',
    'seeds',
    'size',
    'steps',
    'd-width',
    'g-width',
  ]);
  const losses = (f.losses ?? 'wgan,wgan-gp,gan').split(',');
  const models = (f.models ?? 'dcgan,mlp').split(',');
  const steps = Number(f.steps ?? 5),
    iters = Number(f.iters ?? CLAIMS_DEFAULTS.iters),
    seeds = Number(f.seeds ?? CLAIMS_DEFAULTS.seeds);
  const size = Number(f.size ?? 32) as 28 | 32 | 64,
    batch = Number(f.batch ?? 64);
  const backend = f.backend ?? 'native';
  await useBackend(backend);
  const clf = buildClassifier({ size, channels: 1, classes: 10, width: 16, features: 64, seed: 0 });
  const real = {
    data: Float32Array.from({ length: 1000 * size * size }, (_, i) => (Math.sin(i * 0.37) + 1) / 2),
    n: 1000,
    height: size,
    width: size,
    channels: 1,
  };
  const cores = os.cpus().length;
  const load0 = os.loadavg();
  console.log(
    `bench claims: ${backend}, ${size}×${size}×1, batch ${batch}, median of ${steps} steps; grid ${losses.join(',')} × ${models.join(',')} × ${seeds} seeds at ${iters} iterations, FD every ${Math.round(iters / 20)}`,
  );
  console.log(`  load average before: ${load0.map((l) => l.toFixed(2)).join(' ')} on ${cores} cores`);
  const rows = [];
  let total = 0;
  for (const model of models) {
    for (const loss of losses) {
      const w = CLAIMS_DEFAULTS.widths[model];
      const gWidth = f['g-width'] ? Number(f['g-width']) : w,
        dWidth = f['d-width'] ? Number(f['d-width']) : w;
      const c = resolveConfig({
        loss,
        model,
        size,
        channels: 1,
        batch,
        iters,
        fdEvery: Math.max(1, Math.round(iters / 20)),
        ...(gWidth ? { gWidth } : {}),
        ...(dWidth ? { dWidth } : {}),
      });
      const cpu0 = process.cpuUsage(),
        w0 = performance.now();
      const t = measureCell(c, { steps, classifier: clf, real });
      const wall = (performance.now() - w0) / 1000,
        cpu = process.cpuUsage(cpu0);
      const share = (cpu.user + cpu.system) / 1e6 / wall;
      const runS = projectRunSeconds(c, t);
      total += runS * seeds;
      const row = {
        loss,
        model,
        gWidth: c.gWidth,
        dWidth: c.dWidth,
        criticStepS: t.critic,
        generatorStepS: t.generator,
        probeS: t.probe,
        iterationS: c.nCritic * t.critic + t.generator,
        runS,
        cpuShare: share,
      };
      rows.push(row);
      console.log(
        `  ${`${loss} × ${model} (w ${c.gWidth}/${c.dWidth})`.padEnd(28)} critic ${(t.critic * 1000).toFixed(0).padStart(5)} ms  G ${(t.generator * 1000).toFixed(0).padStart(5)} ms  iteration ${(row.iterationS * 1000).toFixed(0).padStart(5)} ms  probe ${t.probe.toFixed(2)} s  → run ${(runS / 60).toFixed(1)} min  (CPU share ${share.toFixed(2)} of ${cores})`,
      );
    }
  }
  const load1 = os.loadavg();
  const meanShare = rows.reduce((a, r) => a + r.cpuShare, 0) / rows.length;
  console.log(
    `  load average after: ${load1.map((l) => l.toFixed(2)).join(' ')}; mean CPU share ${meanShare.toFixed(2)} of ${cores} cores`,
  );
  console.log(
    `  grid: ${(total / 3600).toFixed(2)} h as measured; ≈ ${((total * meanShare) / cores / 3600).toFixed(2)} h on ${cores} free cores (scaled by the CPU share, an extrapolation)`,
  );
  writeJson(f.json, {
    bench: 'claims',
    backend,
    size,
    batch,
    steps,
    iters,
    seeds,
    cores,
    loadBefore: load0,
    loadAfter: load1,
    rows,
    gridSeconds: total,
    meanCpuShare: meanShare,
  });
}
