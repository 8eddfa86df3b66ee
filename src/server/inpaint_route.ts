/**
 * POST /api/inpaint: a JSON body in, a Server-Sent Events stream out (the events of
 * src/protocol/api.ts). The steps, each refusing as early and as cheaply as it can:
 *   validate the body (no decoding) → take a place (the shared queue's admission with serve --redis,
 *   then the local JobQueue; none → 429) → decode and fit the image (a bad one gives the place back)
 *   → open the stream → wait for a slot (`queued` events) → run (`start`, `progress`…, then `result`
 *   or `error`).
 * The client going away (tab closed, fetch aborted) cancels the job, waiting or running.
 */
import type http from 'node:http';
import { encodePng, maskToImage } from '../io/image.js';
import { holeFraction } from '../masks/masks.js';
import { previewEvery } from '../inpaint/surface.js';
import { encodeEvent, type ProgressData, type ServerEvent } from '../protocol/api.js';
import { resultData } from '../protocol/convert.js';
import type { ImageBatch } from '../types.js';
import { UserError } from '../util/errors.js';
import type { Slot } from './jobs.js';
import { json, readJson, type ServerContext } from './http.js';
import { prepareInputs, validateBody, type PreparedJob } from './request.js';
import type { WorkerProgress } from './runner.js';

async function dataUrl(b: ImageBatch): Promise<string> {
  return `data:image/png;base64,${Buffer.from(await encodePng(b)).toString('base64')}`;
}

/** The response as an event stream: events written only while the response is open. */
function eventStream(res: http.ServerResponse): (e: ServerEvent) => void {
  return (e) => {
    if (!res.writableEnded && !res.destroyed) res.write(encodeEvent(e));
  };
}

/** POST /api/inpaint (any other method: 405). */
export async function inpaintRoute(
  ctx: ServerContext,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  if (req.method !== 'POST') return json(res, 405, { error: 'use POST for /api/inpaint' }, { Allow: 'POST' });
  const body = await readJson(req, ctx.limits.maxBodyBytes);
  const checked = validateBody(body, ctx.models, ctx.limits);
  const ac = new AbortController();
  let finished = false;
  res.on('close', () => {
    if (!finished) ac.abort();
  });
  const send = eventStream(res);
  let streaming = false;
  let waiting = 0;
  const place = await takePlace(ctx, res, ac.signal, (position) => {
    // The place in line is reported at once (before the stream's headers are out): kept until it opens.
    waiting = position;
    if (streaming) send({ event: 'queued', data: { position } });
  });
  if (!place) return;
  // Only a request with a place in line gets its image decoded. A bad image gives up the place.
  let job: PreparedJob;
  try {
    job = await prepareInputs(checked.body, checked.model, checked.options, ctx.limits);
  } catch (e) {
    finished = true;
    ac.abort();
    place.queued.then(
      (slot) => slot.release(),
      () => {},
    );
    throw e;
  }
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Accel-Buffering': 'no',
  });
  streaming = true;
  if (waiting > 0) send({ event: 'queued', data: { position: waiting } });
  let slot: Slot;
  try {
    slot = await place.queued;
  } catch {
    res.end();
    return; // the client left while waiting
  }
  try {
    await runJob(ctx, job, checked.start, send, ac, place.admission);
  } finally {
    slot.release();
    finished = true;
    res.end();
  }
}

/**
 * A place for the request: with serve --redis the shared queue's admission (atomic; given back when
 * the response ends at the latest, the runner gives it back as soon as the job is on the queue), then
 * a place in the local JobQueue. Answers 429 and returns null when there is none.
 */
async function takePlace(
  ctx: ServerContext,
  res: http.ServerResponse,
  signal: AbortSignal,
  onPosition: (position: number) => void,
): Promise<{ queued: Promise<Slot>; admission: { release(): void } | undefined } | null> {
  const admission = await ctx.pool.admit?.();
  if (admission && !admission.ok) {
    json(res, 429, { error: admission.message }, { 'Retry-After': String(admission.retryAfter) });
    return null;
  }
  if (admission) {
    res.once('close', () => admission.release());
    if (res.closed) admission.release(); // the client left during the admission
  }
  const queued = ctx.queue.acquire(signal, onPosition);
  if (!queued) {
    const wait = ctx.queue.retryAfter();
    const { running, waiting } = ctx.queue.stats;
    json(
      res,
      429,
      { error: `server busy: ${running} job(s) running and ${waiting} waiting; retry in ${wait} s` },
      { 'Retry-After': String(wait) },
    );
    return null;
  }
  // A rejection (the client left while waiting) is handled by the caller; never leave it unhandled.
  queued.catch(() => {});
  return { queued, admission };
}

/** Run a prepared job on the runner, within the time limit: `start`, `progress`…, then `result` or `error`. */
async function runJob(
  ctx: ServerContext,
  job: PreparedJob,
  start: 'encoder' | 'random',
  send: (e: ServerEvent) => void,
  ac: AbortController,
  admission: { release(): void } | undefined,
): Promise<void> {
  const { model, image, mask, options, resize, maskConvention, warning } = job;
  const { limits, log } = ctx;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ac.abort();
  }, limits.jobTimeoutSec * 1000);
  const t0 = Date.now();
  let chain = Promise.resolve();
  try {
    send({
      event: 'start',
      data: {
        model: model.name,
        start,
        iters: options.iters,
        restarts: options.restarts,
        options,
        resize,
        holeFraction: holeFraction(mask),
        maskConvention,
        ...(warning ? { warning } : {}),
      },
    });
    // A preview of G(z) about 20 times per run, as the page's own (previewEvery); plain progress at
    // most every 100 ms. The first preview (iteration 0) is G(z) at the start: from an encoder, its
    // one-pass fill, at once.
    const progressEvery = previewEvery(options.iters);
    let lastSent = 0;
    const onProgress = (p: WorkerProgress) => {
      const now = Date.now();
      if (!p.raw && p.iter !== p.iters && now - lastSent < 100) return;
      lastSent = now;
      const base: ProgressData = { iter: p.iter, iters: p.iters, contextual: p.contextual, prior: p.prior };
      const raw = p.raw;
      chain = chain.then(async () =>
        send({ event: 'progress', data: raw ? { ...base, preview: await dataUrl(raw) } : base }),
      );
    };
    const r = await ctx.pool.run(
      { model: model.name, image, mask, options: { ...options, progressEvery } },
      onProgress,
      ac.signal,
      admission,
    );
    await chain;
    const [input, maskPng] = await Promise.all([dataUrl(image), dataUrl(maskToImage(mask, maskConvention))]);
    send({
      event: 'result',
      data: await resultData(r, dataUrl, {
        input,
        mask: maskPng,
        maskConvention,
        resize,
        seconds: (Date.now() - t0) / 1000,
        backend: ctx.backend(),
      }),
    });
    log(`inpaint ${model.name} ${options.iters} iters in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } catch (e) {
    await chain.catch(() => {});
    const msg = timedOut
      ? `job exceeded this server's time limit of ${limits.jobTimeoutSec} s`
      : e instanceof UserError
        ? e.message
        : `internal error: ${(e as Error).message}`;
    if (!(e instanceof UserError) && !timedOut) log(`inpaint failed: ${(e as Error).stack ?? String(e)}`);
    send({ event: 'error', data: { error: msg } });
  } finally {
    clearTimeout(timer);
  }
}
