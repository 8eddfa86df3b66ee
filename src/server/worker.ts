/**
 * The inpainting worker thread. Inpainting is CPU-bound and `inpaint()` yields to the event loop only
 * every 10 iterations — seconds, for a 64 px model on a busy machine — so running it on the HTTP
 * thread would stall every other request (health checks, queueing, 429s, SSE flushing). Each worker
 * loads its own copy of the models on its own backend and runs one job at a time; the server can
 * terminate it when a job overruns its time limit mid-iteration.
 *
 * Messages: the ThreadPool protocol (src/util/thread_pool_node.ts); a job is an InpaintJob, its
 * result a WorkerResult (runner.ts), converted as on every surface (src/protocol/convert.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backends/index.js';
import { loadGanCheckpoint, type Checkpoint } from '../train/checkpoint.js';
import { inpaintImages } from '../inpaint/inpaint.js';
import { loadEncoder } from '../encoder/checkpoint.js';
import type { InpaintProgress } from '../inpaint/search.js';
import { completedImage } from '../protocol/convert.js';
import { UserError } from '../util/errors.js';
import { serveThread } from '../util/thread_pool_node.js';
import type { InpaintJob, WorkerInit, WorkerResult } from './runner.js';

const models = new Map<string, Checkpoint & { encoder: tf.LayersModel | null }>();
serveThread<WorkerInit, InpaintJob, InpaintProgress, WorkerResult>({
  async start(init) {
    const backend = await initBackend(init.backend);
    for (const m of init.models) {
      const ck = await loadGanCheckpoint(m.dir); // its encoder: below, the one the server chose
      // The encoder was checked against this generator when the server loaded its models; checked again here.
      models.set(m.name, {
        ...ck,
        encoder: m.encoder ? (await loadEncoder(m.encoder, ck.generator, m.name)).encoder : null,
      });
    }
    return backend;
  },
  async run(job, { signal, onProgress }) {
    const model = models.get(job.model);
    if (!model) throw new UserError(`unknown model '${job.model}'`);
    // The upload at its own size: fitted to the model and brought back (fit.ts), as the CLI does.
    const [r] = await inpaintImages(model, [job.image], [job.mask], job.options, { signal, onProgress });
    if (!r) throw new Error('inpaintImages returned no result for one image');
    return completedImage(r);
  },
  tensors: () => tf.memory().numTensors,
});
