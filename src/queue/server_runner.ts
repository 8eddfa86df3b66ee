/**
 * `serve --redis`: the HTTP API's jobs go on the shared queue instead of the server's own worker
 * threads, so several API instances share one worker fleet. A request becomes a one-image chunk
 * (the upload and its mask at their own size, as lossless PNGs) through the same
 * seam as `batch`; SSE progress comes from the job's progress events.
 *
 * Admission (`admit`): a request is admitted only while fewer than `maxQueued` jobs wait on the
 * model's queue, counting requests admitted (by any API instance) whose jobs are not on it yet; the
 * check and the taking of a place are one Lua script (client.ts), so a burst of concurrent requests
 * gets exactly `maxQueued` places and 429s beyond, however many instances serve it. The place is
 * given back once the job is on the queue (it then counts as waiting) or the request ends first.
 *
 * A client that goes away cancels its job: removed while waiting, ended by its worker while running
 * (client.ts `abandon`, worker.ts).
 */
import type { InpaintOptions } from '../inpaint/options.js';
import type { Admission, InpaintJob, InpaintRunner, WorkerProgress, WorkerResult } from '../server/runner.js';
import { completedImage } from '../protocol/convert.js';
import { decodeImage, encodePng, maskToImage } from '../io/image.js';
import { redactUrl } from './redis.js';
import { DEFAULT_MASK_CONVENTION } from '../masks/convention.js';
import { UserError } from '../util/errors.js';
import { chunkId, itemKey } from './digest.js';
import { ChunkFailed, QueueClient } from './client.js';
import type { ServedModel } from '../server/models.js';
import { modelDigest } from './digest.js';
import { b64, unb64, JOB_FORMAT, type ChunkProgress, type MaskSpec } from './protocol.js';

/** `--max-queue` default: waiting jobs in the shared queue beyond which requests get 429. */
export const DEFAULT_MAX_QUEUED = 32;

export interface QueueRunnerOptions {
  client: QueueClient;
  url: string;
  queue: string;
  /**
   * The served model's name and digest (one queue serves one model); `encoder`: it has an encoder
   * this server accepted (the workers, holding the same files by the digest, accept it too).
   */
  model: { name: string; digest: string; channels: number; encoder?: boolean };
  maxQueued?: number;
}

export class QueueInpaintRunner implements InpaintRunner {
  private readonly maxQueued: number;

  constructor(private readonly o: QueueRunnerOptions) {
    this.maxQueued = o.maxQueued ?? DEFAULT_MAX_QUEUED;
  }

  async ready(): Promise<string> {
    return `queue '${this.o.queue}' on ${redactUrl(this.o.url)}`;
  }

  tensors(): number {
    return 0;
  }

  /** Jobs waiting in the model's queue (every API instance's and batch's). */
  depth(): Promise<number> {
    return this.o.client.depth();
  }

  async admit(): Promise<Admission> {
    const { ticket, count } = await this.o.client.admit(this.maxQueued);
    if (ticket) return { ok: true, release: () => ticket.release() };
    const workers = Math.max(1, (await this.o.client.workers()) ?? 1);
    const retryAfter = Math.max(1, Math.min(60, Math.ceil((this.o.client.meanChunkSeconds * (count + 1)) / workers)));
    return {
      ok: false,
      message: `server busy: ${count} job(s) wait in the queue (limit ${this.maxQueued}); retry in ${retryAfter} s`,
      retryAfter,
    };
  }

  async run(
    job: InpaintJob,
    onProgress: (p: WorkerProgress) => void,
    signal: AbortSignal,
    admission?: { release(): void },
  ): Promise<WorkerResult> {
    if (job.model !== this.o.model.name) throw new UserError(`unknown model '${job.model}'`);
    // 8-bit PNGs are lossless here: the server's image came from 8-bit pixels (÷255) and masks are 0/1.
    const image = await encodePng(job.image);
    // In the default convention, which the job names (the request's own convention was applied when it was decoded).
    const mask: MaskSpec = { png: b64(await encodePng(maskToImage(job.mask, DEFAULT_MASK_CONVENTION))) };
    // The request's start was decided against this server's copy of the model (validateBody, the
    // `start` event): auto on a model with an encoder goes out as 'encoder', so a worker that cannot
    // use it fails the job instead of silently starting at random z.
    const options: InpaintOptions =
      job.options.init === 'auto' && this.o.model.encoder ? { ...job.options, init: 'encoder' } : job.options;
    const key = itemKey(this.o.model.digest, image, mask, options, DEFAULT_MASK_CONVENTION);
    const id = chunkId([key]);
    const progress = (p: ChunkProgress) => {
      void (async () => {
        const out: WorkerProgress = { iter: p.iter, iters: p.iters, contextual: p.contextual, prior: p.prior };
        if (p.preview) out.raw = await decodeImage(unb64(p.preview), { channels: this.o.model.channels as 1 | 3 });
        onProgress(out);
      })().catch(() => {});
    };
    let r: Awaited<ReturnType<QueueClient['submit']>>;
    try {
      // Once the job is on the queue it counts as waiting itself: the admission's place goes back.
      r = await this.o.client.submit(
        id,
        {
          format: JOB_FORMAT,
          model: this.o.model.digest,
          options,
          maskConvention: DEFAULT_MASK_CONVENTION,
          items: [{ key, name: 'request', image: b64(image), mask }],
        },
        progress,
        signal,
        () => admission?.release(),
      );
    } catch (e) {
      if (e instanceof ChunkFailed) throw new UserError(`inpainting failed on the queue: ${e.message}`);
      throw e;
    } finally {
      admission?.release();
    }
    const item = r.items[0];
    if (!item) throw new Error('the worker returned no result');
    if (!item.ok) throw new UserError(item.error);
    const c = this.o.model.channels as 1 | 3;
    const dec = (name: string) => {
      const f = item.files[name];
      if (!f) throw new Error(`the worker's result has no ${name}`);
      return decodeImage(unb64(f), { channels: c });
    };
    const [masked, raw, composite, blended] = await Promise.all([
      dec('masked.png'),
      dec('raw.png'),
      dec('composite.png'),
      dec('blended.png'),
    ]);
    // The same conversion as the server's own threads and the page (no hole: zero losses).
    return completedImage({ masked, raw, composite, blended, losses: item.losses, domain: item.domain });
  }

  async close(): Promise<void> {
    await this.o.client.close();
  }
}

/** Check Redis, connect, and build the runner for `serve --redis` (exactly one served model). */
export async function queueRunner(o: {
  url: string;
  queue: string;
  models: ServedModel[];
  maxQueued: number;
  connectTimeoutS: number;
  log: (l: string) => void;
}): Promise<QueueInpaintRunner> {
  const [m] = o.models;
  if (!m || o.models.length !== 1) {
    throw new UserError(
      `serve --redis: one queue serves one model, and ${o.models.length} are loaded (${o.models.map((m) => m.name).join(', ')}); give exactly one --model, the workers' model`,
    );
  }
  const digest = modelDigest(m.dir, m.encoder?.dir);
  const client = await QueueClient.open(o.url, o.queue, digest, { connectTimeoutS: o.connectTimeoutS, log: o.log });
  // Requests wait for a worker of this model; say so at start when none is connected (yet).
  const fleet = await client.fleet();
  if (fleet && fleet.ours === 0)
    o.log(
      `notice: no worker serves model ${m.name} (digest ${digest.slice(0, 12)}) on queue '${o.queue}' yet; requests wait until one does (wgan-inpaint worker --redis … --model …)${fleet.others.size ? `; the ${[...fleet.others.values()].reduce((a, b) => a + b, 0)} connected worker(s) serve other models` : ''}`,
    );
  return new QueueInpaintRunner({
    client,
    url: o.url,
    queue: o.queue,
    model: { name: m.name, digest, channels: m.channels, encoder: !!m.encoder },
    maxQueued: o.maxQueued,
  });
}
