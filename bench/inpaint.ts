/**
 * `npm run bench -- inpaint [--backends native,wasm] [--size 32] [--channels 3] [--images 64]
 *  [--width 64] [--iters 5] [--no-torch] [--no-single] [--model NAME] [--no-shipped] [--no-browser]
 *  [--browser-backends wasm,webgl,webgpu] [--runs 5] [--batch 32] [--options JSON] [--shipped-only] [--json FILE]`
 *
 * ms per completion iteration (forward G and critic, backward to z, Adam step) for a batch of images,
 * and seconds to complete ONE image with the default settings (1000 iterations × 4 restarts), with the
 * encoder's start and its defaults (INIT_DEFAULTS.encoder), and with the encoder alone (no search).
 *
 * Then the shipped model (--model, default fashion-mnist) completing ONE real test image (its first
 * bundled sample, centre hole) with its defaults, model load excluded, median of --runs after a
 * warm-up: on each Node backend at batch 1 and at batch --batch (per image, wall and CPU; --options JSON
 * overrides inpainting options there, e.g. '{"iters":0,"refine":"generator","refineDepth":3}'), and in
 * headless Chromium (the built page, in-browser mode, the page's defaults) on wasm,
 * WebGL and WebGPU — the page's own timer (`seconds` of the result: search + encoder + blending).
 * Chromium's WebGL and WebGPU here are software renderers (SwiftShader): their figures say the code
 * path works, not what a real GPU does.
 */
import * as tf from '@tensorflow/tfjs';
import { buildModels, forwardFlops } from '../src/models/index.js';
import { inpaint } from '../src/inpaint/inpaint.js';
import { DEFAULT_INPAINT } from '../src/inpaint/options.js';
import { makeMask } from '../src/masks/masks.js';
import { buildEncoder } from '../src/encoder/model.js';
import { INIT_DEFAULTS } from '../src/inpaint/options.js';
import {
  parseFlags,
  backendsToRun,
  useBackend,
  sgemmCeiling,
  ceilingOfRun,
  pytorchRef,
  writeJson,
  machineInfo,
  machineLine,
} from './common.js';
import { shippedTimings } from './inpaint_shipped.js';

export async function run(args: string[]): Promise<void> {
  const f = parseFlags(args, [
    'backends',
    'channels',
    'images',
    'iters',
    'json',
    'size',
    'width',
    'no-shipped',
    'no-single',
    'no-torch',
    'shipped-only',
    'model',
    'runs',
    'browser-backends',
    'no-browser',
    'batch',
    'options',
  ]);
  const size = Number(f.size ?? 32) as 28 | 32 | 64,
    channels = Number(f.channels ?? 3) as 1 | 3,
    N = Number(f.images ?? 64),
    width = Number(f.width ?? 64),
    iters = Number(f.iters ?? 5);
  console.log(`bench inpaint: completion iteration over ${N} images, ${size}×${size}×${channels}, widths ${width}`);
  const machine = machineInfo();
  console.log(machineLine(machine));
  const before = f['shipped-only'] === 'true' ? null : sgemmCeiling();
  const results: Record<string, unknown>[] = [];
  for (const b of f['shipped-only'] === 'true' ? [] : await backendsToRun(f)) {
    await useBackend(b);
    const m = buildModels('dcgan', {
      size,
      channels,
      nz: 100,
      gWidth: width,
      dWidth: width,
      criticNorm: 'layer',
      seed: 0,
    });
    const images = {
      data: Float32Array.from({ length: N * size * size * channels }, (_, i) => (i % 97) / 97),
      n: N,
      height: size,
      width: size,
      channels,
    };
    const mask = makeMask('center', size, size);
    // Time (iters + 1) vs 1 iteration to subtract the fixed costs (weights, blending).
    const t1 = performance.now();
    await inpaint(m, images, mask, { iters: 1, restarts: 1, blend: 'none' });
    const t2 = performance.now();
    await inpaint(m, images, mask, { iters: iters + 1, restarts: 1, blend: 'none' });
    const t3 = performance.now();
    const ms = (t3 - t2 - (t2 - t1)) / iters;
    // The work a completion iteration needs: forward G + D, then the gradient with respect to z only
    // — one input-gradient GEMM per layer, ≈ 1× forward (no weight gradients) → 2× forward per image.
    // (Until this session the count was 3×, which assumed weight gradients too.)
    const gflop = (2 * N * (forwardFlops(m.generator) + forwardFlops(m.critic))) / 1e9;
    const row: Record<string, unknown> = {
      backend: b,
      msPerIteration: ms,
      gflops: gflop / (ms / 1000),
      pctOfSgemm: null,
    };
    let single = '';
    if (f['no-single'] !== 'true') {
      const one = { ...images, n: 1, data: images.data.slice(0, size * size * channels) };
      const t = performance.now();
      await inpaint(m, one, mask, {});
      row.secondsOneImageDefault = (performance.now() - t) / 1000;
      single = `  one image, defaults (${DEFAULT_INPAINT.iters} iters × ${DEFAULT_INPAINT.restarts} restarts): ${(row.secondsOneImageDefault as number).toFixed(1)} s`;
      // The encoder's start with its defaults (an untrained encoder of the same shape: the time does
      // not depend on its weights). Model load excluded, as above; the first call warms up E.
      const E = buildEncoder({ size, channels, nz: 100, width, seed: 0 });
      const withE = { ...m, encoder: E };
      await inpaint(withE, one, mask, { iters: 1 });
      const te = performance.now();
      await inpaint(withE, one, mask, {}); // init auto: the encoder's start and defaults
      row.secondsOneImageEncoder = (performance.now() - te) / 1000;
      const to = performance.now();
      await inpaint(withE, one, mask, { iters: 0, restarts: 1 });
      row.secondsOneImageEncoderOnly = (performance.now() - to) / 1000;
      E.dispose();
      single += `; encoder start (${INIT_DEFAULTS.encoder.iters} iters × ${INIT_DEFAULTS.encoder.restarts} restarts): ${(row.secondsOneImageEncoder as number).toFixed(2)} s; encoder only: ${(row.secondsOneImageEncoderOnly as number).toFixed(3)} s`;
    }
    results.push(row);
    console.log(
      `  ${b.padEnd(7)} ${ms.toFixed(1).padStart(7)} ms/iter (${N} images)  ${(row.gflops as number).toFixed(1)} GFLOP/s${single}`,
    );
    tf.dispose([...m.generator.weights.map((w) => w.read()), ...m.critic.weights.map((w) => w.read())]);
  }
  const ceiling = f['shipped-only'] === 'true' ? null : ceilingOfRun(before, sgemmCeiling());
  for (const r of results) {
    r.pctOfSgemm = ceiling ? (100 * (r.gflops as number)) / ceiling : null;
    if (ceiling)
      console.log(`  ${String(r.backend).padEnd(7)} ${(r.pctOfSgemm as number).toFixed(0)}% of the sgemm ceiling`);
  }
  let torch = null;
  if (f['no-torch'] !== 'true' && f['shipped-only'] !== 'true') {
    torch = pytorchRef([
      '--size',
      String(size),
      '--channels',
      String(channels),
      '--width',
      String(width),
      '--iters',
      '1',
      '--completion-batch',
      String(N),
    ]);
    if (torch) {
      console.log(`  pytorch ${torch.torch}: ${torch.completionIterationMs.toFixed(1)} ms/iter`);
      for (const r of results)
        console.log(
          `  ${String(r.backend).padEnd(7)} time / PyTorch time = ${((r.msPerIteration as number) / torch.completionIterationMs).toFixed(3)}`,
        );
    }
  }
  const shipped = f['no-shipped'] === 'true' ? null : await shippedTimings(f, await backendsToRun(f));
  writeJson(f.json, {
    bench: 'inpaint',
    config: { size, channels, images: N, width },
    machine,
    sgemmCeilingGflops: ceiling,
    results,
    pytorch: torch,
    shipped,
  });
}
