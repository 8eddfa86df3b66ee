/**
 * The inpainting worker thread. Inpainting is CPU-bound and `inpaint()` yields to the event loop only
 * every 10 iterations — seconds, for a 64 px model on a busy machine — so running it on the HTTP
 * thread would stall every other request (health checks, queueing, 429s, SSE flushing). Each worker
 * loads its own copy of the models on its own backend and runs one job at a time; the server can
 * terminate it when a job overruns its time limit mid-iteration.
 *
 * Protocol (structured-clone messages; ImageBatch/Mask are plain objects with Float32Arrays):
 *   in:  {type:'job', id, model, image, mask, options}  |  {type:'abort', id}
 *   out: {type:'ready', backend, tensors}  |  {type:'failed', error}   (once, at start)
 *        {type:'progress', id, iter, iters, contextual, prior, raw?}
 *        {type:'result', id, masked, raw, composite, blended, losses, tensors}
 *        {type:'error', id, error, user, tensors}
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backends/index.js';
import { loadCheckpoint, type Checkpoint } from '../train/checkpoint.js';
import { inpaint } from '../inpaint/inpaint.js';
import { loadEncoder } from '../encoder/checkpoint.js';
import type { InpaintOptions } from '../inpaint/options.js';
import { UserError } from '../util/errors.js';
import type { ImageBatch, Mask } from '../types.js';

export interface WorkerInit {
  backend: string;
  /** `encoder`: the model's encoder folder (already checked against its generator), or null. */
  models: { name: string; dir: string; encoder?: string | null }[];
}

export interface JobMessage {
  type: 'job';
  id: number;
  model: string;
  image: ImageBatch;
  mask: Mask;
  options: InpaintOptions;
}

const port = parentPort;
if (port) {
  const init = workerData as WorkerInit;
  const models = new Map<string, Checkpoint & { encoder: tf.LayersModel | null }>();
  const controllers = new Map<number, AbortController>();
  const start = async () => {
    const backend = await initBackend(init.backend);
    for (const m of init.models) {
      const ck = await loadCheckpoint(m.dir);
      models.set(m.name, { ...ck, encoder: m.encoder ? (await loadEncoder(m.encoder, ck.generator, m.name)).encoder : null });
    }
    port.postMessage({ type: 'ready', backend, tensors: tf.memory().numTensors });
  };
  const run = async (job: JobMessage) => {
    const ac = new AbortController();
    controllers.set(job.id, ac);
    try {
      const model = models.get(job.model);
      if (!model) throw new UserError(`unknown model '${job.model}'`);
      const r = await inpaint(model, job.image, job.mask, job.options, {
        signal: ac.signal,
        onProgress: (p) => port.postMessage({ type: 'progress', id: job.id, ...p }),
      });
      port.postMessage({ type: 'result', id: job.id, masked: r.masked, raw: r.raw, composite: r.composite, blended: r.blended, losses: r.losses[0], tensors: tf.memory().numTensors });
    } catch (e) {
      port.postMessage({ type: 'error', id: job.id, error: (e as Error).message, user: e instanceof UserError, tensors: tf.memory().numTensors });
    } finally {
      controllers.delete(job.id);
    }
  };
  port.on('message', (m: JobMessage | { type: 'abort'; id: number }) => {
    if (m.type === 'abort') controllers.get(m.id)?.abort();
    else if (m.type === 'job') void run(m);
  });
  start().catch((e: unknown) => port.postMessage({ type: 'failed', error: (e as Error).message }));
}
