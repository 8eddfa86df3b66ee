/**
 * Inpainting inside the browser: the same `inpaint()` as the server, on the model files the server
 * exposes at /models/<name>/, on a TF.js backend the page lets the user pick (backends.ts): WebGPU or
 * WebGL (the search's tensors stay on the device, its losses are read back only at the progress
 * updates) or wasm (+ the project's own wasm kernels, which make the conv gradients fast). Loaded
 * lazily (a separate chunk), so the page opens without TF.js; the WebGPU backend is a further chunk.
 *
 * The wasm binaries are copied into the build at tfjs-wasm/ (vite.config.ts). The server sends
 * COOP/COEP headers (cross-origin isolation, which wasm threads need), but threads stay off for now:
 * see start().
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import '../models/layers.js';
import { registerWasmKernels } from '../backends/wasm_kernels.js';
import { installTfjsPatches } from '../backends/tfjs_patches.js';
import { inpaintImages } from '../inpaint/inpaint.js';
import { previewEvery, resolveRequest } from '../inpaint/surface.js';
import type { InpaintOptions } from '../inpaint/options.js';
import type { InpaintModel, InpaintProgress } from '../inpaint/search.js';
import { fitToModel } from '../inpaint/fit.js';
import { checkEncoderFor, parseEncoderManifest } from '../encoder/manifest.js';
import { encoderFill } from '../encoder/model.js';
import type { ImageBatch, Mask } from '../types.js';
import { DEFAULT_MASK_CONVENTION, maskToGrey, type MaskConvention } from '../masks/convention.js';
import type { InpaintOutcome, ModelInfo, ProgressData } from '../protocol/api.js';
import { completedImage, modelTraits, resizeOf, resultData } from '../protocol/convert.js';
import { availableBackends, type BackendChoice, type BrowserBackend } from './backends.js';
import { context2d } from './canvas.js';

let current: { kind: BrowserBackend; ready: Promise<string> } | null = null;
let wasmPathsSet = false;

async function start(kind: BrowserBackend): Promise<string> {
  if (kind === 'wasm') {
    if (!wasmPathsSet) setWasmPaths(new URL('tfjs-wasm/', document.baseURI).href);
    wasmPathsSet = true;
    // The threaded build's pthread workers re-import Emscripten's main script, which a bundler has
    // merged into our chunk: the workers die ("e is not defined") and the backend hangs. SIMD on one
    // thread works everywhere; the models here are small.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    registerWasmKernels();
  } else if (kind === 'webgpu') {
    // Its own chunk, fetched only when chosen; it registers the 'webgpu' backend on import.
    await import('@tensorflow/tfjs-backend-webgpu');
  }
  // (webgl is registered by @tensorflow/tfjs itself.)
  if (!(await tf.setBackend(kind))) throw new Error(`the TF.js ${kind} backend could not start in this browser`);
  await tf.ready();
  // The same gradient code as on the server where the bundle allows it (see tfjs_patches.ts).
  installTfjsPatches(kind);
  return tf.getBackend();
}

/**
 * Select a backend (once per kind; switching back and forth is allowed) and return its name. `auto`
 * tries this browser's backends fastest first (backends.ts) and takes the first that starts; a
 * backend named explicitly that does not start is an error.
 */
export async function initBrowserBackend(choice: BackendChoice = 'auto'): Promise<string> {
  const kinds = choice === 'auto' ? await availableBackends() : [choice];
  let last: unknown;
  for (const kind of kinds) {
    if (current?.kind !== kind) {
      const ready = start(kind);
      current = { kind, ready };
      ready.catch(() => {
        if (current?.ready === ready) current = null;
      });
    }
    const ready = current?.ready;
    if (!ready) continue;
    try {
      return await ready;
    } catch (e) {
      last = e;
    }
  }
  throw last instanceof Error ? last : new Error(String(last));
}

const models = new Map<string, Promise<{ generator: tf.LayersModel; critic: tf.LayersModel }>>();
const encoders = new Map<string, Promise<tf.LayersModel>>();

/** Models are kept per backend (`backend:name`): their weights live on the backend they were loaded on. */
function loadModels(info: ModelInfo) {
  const key = `${tf.getBackend()}:${info.name}`;
  let m = models.get(key);
  if (!m) {
    m = Promise.all([tf.loadLayersModel(info.generator), tf.loadLayersModel(info.critic)]).then(
      ([generator, critic]) => ({ generator, critic }),
    );
    m.catch(() => models.delete(key));
    models.set(key, m);
  }
  return m;
}

/** The model's encoder with plain TF.js, refused unless its manifest names this generator's digest (checked here too). */
function loadEncoderFor(info: ModelInfo, generator: tf.LayersModel): Promise<tf.LayersModel> {
  const e = info.encoder,
    key = `${tf.getBackend()}:${info.name}`;
  if (!e) return Promise.reject(new Error(`model '${info.name}' has no encoder`));
  let p = encoders.get(key);
  if (!p) {
    p = (async () => {
      const r = await fetch(e.manifest);
      if (!r.ok) throw new Error(`cannot load the encoder's manifest: HTTP ${r.status}`);
      await checkEncoderFor(parseEncoderManifest(await r.json(), e.manifest), generator, e.manifest, info.name);
      return tf.loadLayersModel(e.model);
    })();
    p.catch(() => encoders.delete(key));
    encoders.set(key, p);
  }
  return p;
}

/** All pixels of a canvas (canvas only decodes; cropping and resizing are fitToModel's, as on the server). */
function pixelsOf(src: HTMLCanvasElement): ImageData {
  return context2d(src, { willReadFrequently: true }).getImageData(0, 0, src.width, src.height);
}

/** RGBA pixels → [1, H, W, channels] in [0,1]; grey = Rec. 601 luma. */
function toBatch(px: ImageData, channels: number): ImageBatch {
  const n = px.width * px.height;
  const data = new Float32Array(n * channels);
  for (let i = 0; i < n; i++) {
    const r = px.data[i * 4]! / 255,
      g = px.data[i * 4 + 1]! / 255,
      b = px.data[i * 4 + 2]! / 255;
    if (channels === 1) data[i] = 0.299 * r + 0.587 * g + 0.114 * b;
    else {
      data[i * 3] = r;
      data[i * 3 + 1] = g;
      data[i * 3 + 2] = b;
    }
  }
  return { data, n: 1, height: px.height, width: px.width, channels };
}

/** Hole where the painted mask is opaque (alpha ≥ 128) → 0, else 1 (known). */
function toMask(px: ImageData): Mask {
  const data = new Float32Array(px.width * px.height);
  for (let i = 0; i < data.length; i++) data[i] = px.data[i * 4 + 3]! >= 128 ? 0 : 1;
  return { data, height: px.height, width: px.width };
}

/** An image of a batch (or a mask) as a PNG data URL. */
export function batchToDataUrl(b: { data: Float32Array; height: number; width: number; channels: number }): string {
  const c = document.createElement('canvas');
  c.width = b.width;
  c.height = b.height;
  const ctx = context2d(c);
  const img = ctx.createImageData(b.width, b.height);
  for (let i = 0; i < b.width * b.height; i++) {
    for (let k = 0; k < 3; k++)
      img.data[i * 4 + k] = Math.round(
        Math.min(1, Math.max(0, b.data[i * b.channels + Math.min(k, b.channels - 1)]!)) * 255,
      );
    img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return c.toDataURL('image/png');
}

export interface BrowserRunArgs {
  info: ModelInfo;
  image: HTMLCanvasElement;
  /** Painted mask: opaque = hole. Same size as `image`. */
  mask: HTMLCanvasElement;
  /** The convention of the mask returned (the server's `maskConvention`) [hole-white]. */
  maskConvention?: MaskConvention;
  options: Partial<InpaintOptions>;
  onProgress(p: ProgressData): void;
  signal: AbortSignal;
  /** TF.js backend: auto = the fastest this browser has (WebGPU, WebGL, wasm). */
  backend?: BackendChoice;
}

/** Complete the image in this tab; the outcome has the same fields as the server's `result` event. */
export async function inpaintInBrowser(a: BrowserRunArgs): Promise<InpaintOutcome> {
  await initBrowserBackend(a.backend ?? 'auto');
  const gan = await loadModels(a.info);
  const net: InpaintModel =
    a.info.encoder && a.options.init !== 'random'
      ? { ...gan, encoder: await loadEncoderFor(a.info, gan.generator) }
      : gan;
  const s = a.info.size,
    to = { width: s, height: s };
  // The options every surface resolves (src/inpaint/surface.ts): defaults per start, the model's fit
  // (crop for a model trained on crops, as on the server).
  const { options: o, start } = resolveRequest(a.options, { ...modelTraits(a.info), hasEncoder: !!net.encoder });
  const fit = o.fit,
    iters = o.iters;
  // The server's policy (src/inpaint/fit.ts via inpaintImages): the upload at its own size, fitted
  // to the model (whole, aspect kept; or crop around each hole) and the fill brought back.
  const full = toBatch(pixelsOf(a.image), a.info.channels),
    fullMask = toMask(pixelsOf(a.mask));
  const fitted = fitToModel(full, fullMask, to, fit);
  const [image, mask] = [fitted.images[0], fitted.masks[0]];
  if (!image || !mask) throw new Error('the image could not be fitted to the model');
  // Losses are read back (a device sync on WebGL/WebGPU) only at the ~20 progress updates, the
  // server's preview cadence; the result is the same as reading every iteration (search.ts).
  const every = previewEvery(iters);
  const t0 = performance.now();
  if (net.encoder) {
    // The encoder's one-pass fill at once (one E and one G pass), painted before the search starts:
    // the search yields to the page only every 10 iterations.
    const f = await encoderFill(net.encoder, net.generator, image, mask);
    a.onProgress({ iter: 0, iters, contextual: NaN, prior: NaN, preview: batchToDataUrl(f.raw) });
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  }
  // The model's domain statistics (calibrated models) give the same out-of-domain verdict as the server's.
  const [r] = await inpaintImages(
    { ...net, ...(a.info.domain ? { manifest: { domain: a.info.domain } } : {}) },
    [full],
    [fullMask],
    { ...o, progressEvery: every, readEvery: every },
    {
      signal: a.signal,
      onProgress: (p: InpaintProgress) =>
        a.onProgress({
          iter: p.iter,
          iters: p.iters,
          contextual: p.contextual,
          prior: p.prior,
          ...(p.raw ? { preview: batchToDataUrl(p.raw) } : {}),
        }),
    },
  );
  if (!r) throw new Error('inpaintImages returned no result for one image');
  // The same conversion as the server's worker threads and the queue (src/protocol/convert.ts).
  const convention = a.maskConvention ?? DEFAULT_MASK_CONVENTION;
  const maskImage = {
    data: maskToGrey(fullMask, convention),
    height: fullMask.height,
    width: fullMask.width,
    channels: 1,
  };
  const data = await resultData(completedImage(r), batchToDataUrl, {
    input: batchToDataUrl(full),
    mask: batchToDataUrl(maskImage),
    maskConvention: convention,
    resize: resizeOf({ width: full.width, height: full.height }, to, fit, r.plans),
    seconds: (performance.now() - t0) / 1000,
    backend: tf.getBackend(),
  });
  return { ...data, start };
}
