/**
 * Test helpers for the server and page tests: a tiny untrained model saved as a checkpoint folder (no
 * training needed: the tests check plumbing, not quality), a sample image, and a server on port 0.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildModels, disposeModel } from '../models/index.js';
import * as tf from '@tensorflow/tfjs';
import { saveCheckpoint, loadGanCheckpoint } from '../train/checkpoint.js';
import { buildEncoder } from '../encoder/model.js';
import { generatorDigest } from '../encoder/manifest.js';
import { saveEncoder } from '../encoder/checkpoint.js';
import { resolveConfig } from '../config/config.js';
import { encodePng } from '../io/image.js';
import type { ImageBatch } from '../types.js';
import { initBackend } from '../backends/index.js';
import { loadServedModels } from '../server/models.js';
import { startServer, type RunningServer, type ServerOptions } from '../server/server.js';

/** A 28×28 grey test picture: a bright disc on a horizontal gradient (so holes have content). */
export function testImage(size = 28, channels: 1 | 3 = 1): ImageBatch {
  const data = new Float32Array(size * size * channels);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const disc = (x - size / 2) ** 2 + (y - size / 2) ** 2 < (size / 4) ** 2;
      for (let c = 0; c < channels; c++)
        data[(y * size + x) * channels + c] = disc ? 0.9 : (0.1 + (0.5 * x) / size) * (c === 1 ? 0.5 : 1);
    }
  }
  return { data, n: 1, height: size, width: size, channels };
}

export async function pngDataUrl(b: ImageBatch): Promise<string> {
  return `data:image/png;base64,${Buffer.from(await encodePng(b)).toString('base64')}`;
}

/** Save a tiny DCGAN (28×28×1, widths 4, nz 8) — or another model kind — as a checkpoint folder with one sample image. */
export async function makeTinyModel(dir: string, kind = 'dcgan'): Promise<string> {
  const spec = {
    size: 28 as const,
    channels: 1 as const,
    nz: 8,
    gWidth: 4,
    dWidth: 4,
    criticNorm: 'layer' as const,
    seed: 1,
  };
  const { generator, critic } = buildModels(kind, spec);
  const config = resolveConfig({ model: kind, size: 28, channels: 1, nz: 8, gWidth: 4, dWidth: 4, iters: 1 });
  await saveCheckpoint(dir, { generator, critic, manifest: { step: 0, seed: 1, config } });
  disposeModel({ generator, critic });
  fs.mkdirSync(path.join(dir, 'samples'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'samples', 'disc.png'), await encodePng(testImage()));
  return dir;
}

/**
 * Give a tiny model folder an encoder in MODEL/encoder/ (untrained, its output layer scaled up so its
 * z differ from 0), whose manifest names that model's generator — or, with `otherGenerator`, some
 * other generator's digest (for the refusal paths).
 */
export async function addTinyEncoder(modelDir: string, otherGenerator = false): Promise<string> {
  const ck = await loadGanCheckpoint(modelDir);
  const E = buildEncoder({ size: 28, channels: 1, nz: 8, width: 4, seed: 2 });
  const dense = E.getLayer('e_dense');
  const scaled = dense.getWeights().map((w) => tf.mul(w, 30));
  dense.setWeights(scaled);
  tf.dispose(scaled);
  const digest = otherGenerator ? `sha256:${'0'.repeat(64)}` : await generatorDigest(ck.generator);
  const dir = path.join(modelDir, 'encoder');
  await saveEncoder(dir, {
    encoder: E,
    manifest: { step: 0, generator: { digest, size: 28, channels: 1, nz: 8, model: 'tiny' }, config: {} },
  });
  for (const m of [E, ck.generator, ck.critic]) m.dispose();
  return dir;
}

export interface TestServer extends RunningServer {
  tmp: string;
  modelDir: string;
  /** Close the server, dispose the models, remove the temp folder. */
  stop(): Promise<void>;
}

/**
 * A server on an ephemeral loopback port with the tiny model named `tiny` (a DCGAN unless `kind`), on
 * the cpu backend (main thread and workers); `encoder`: the model has an encoder (addTinyEncoder).
 */
export async function startTestServer(
  opts: Partial<ServerOptions> = {},
  kind = 'dcgan',
  encoder = false,
): Promise<TestServer> {
  await initBackend('cpu');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-serve-'));
  const modelDir = await makeTinyModel(path.join(tmp, 'tiny'), kind);
  if (encoder) await addTinyEncoder(modelDir);
  const models = await loadServedModels([modelDir]);
  const s = await startServer({ models, backend: 'cpu', ...opts }, 0, '127.0.0.1');
  return {
    ...s,
    tmp,
    modelDir,
    stop: async () => {
      await s.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** Parse a complete SSE body into events. */
export function parseSse(text: string): { event: string; data: any }[] {
  const out: { event: string; data: any }[] = [];
  for (const block of text.split('\n\n')) {
    if (!block.trim()) continue;
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    out.push({ event, data: JSON.parse(data.join('\n')) });
  }
  return out;
}

/** Tensors alive in the server's inpainting workers after their last job (for leak checks). */
export async function serverTensors(url: string): Promise<number> {
  const j = (await (await fetch(`${url}/healthz`)).json()) as { tensors: number };
  return j.tensors;
}
