/** `wgan-inpaint serve`: the web app (draw a mask, watch it inpainted) and its JSON/SSE API. */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Command, Values } from './command.js';
import { commandFlags } from './schema_flags.js';
import { initBackend } from '../backends/index.js';
import { loadServedModels } from '../server/models.js';
import { listShippedModels, resolveCheckpointDir } from '../train/checkpoint.js';
import { defaultAllowedHosts, startServer, WEB_ROOT } from '../server/server.js';
import { DEFAULT_LIMITS, type Limits } from '../server/request.js';
import { DEFAULT_MAX_PIXELS } from '../io/image.js';
import { UserError } from '../util/errors.js';
import { threadBound, THREADS_PER_CORE, JOB_BYTES, checkThreads } from './bounds.js';
import { DEFAULT_MAX_QUEUED, queueRunner } from '../queue/server_runner.js';
import { DEFAULT_QUEUE } from '../queue/protocol.js';
import { DEFAULT_CONNECT_TIMEOUT_S } from '../queue/redis.js';
import { definedKeys } from '../util/defined.js';

const d = DEFAULT_LIMITS;

/** A limit: an integer ≥ `min` (at most 1e9), or a number of seconds ≥ `min`. */
const limit = (min: number, def: number, describe: string) =>
  z.number().int().min(min).max(1e9).default(def).describe(describe);
const seconds = (def: number, describe: string) => z.number().min(0.01).max(1e9).default(def).describe(describe);

/** The flags, their bounds, defaults and help (flag = key in kebab-case). */
const ServeFlagsSchema = z.object({
  port: z.number().int().min(0).default(8080).describe('port, 0 = any free one'),
  host: z.string().default('127.0.0.1').describe('address to listen on (0.0.0.0 exposes it to your network)'),
  model: z
    .array(z.string())
    .optional()
    .describe(
      'a shipped model name, checkpoint folder or run folder (newest checkpoint); repeat for several [default: every model in models/]',
    ),
  encoder: z
    .string()
    .optional()
    .describe(
      "start the searches from this encoder (an encoder folder or a train-encoder run; refused unless trained for the model's generator) instead of MODEL/encoder/; needs exactly one --model. The page loads it too, for browser compute",
    ),
  run: z
    .string()
    .optional()
    .describe(
      "a training run folder: its newest checkpoint is served (first in the list) and the page's training view shows its latest sample grid and plot and W-estimate plot, refreshed every few seconds",
    ),
  backend: z.string().default('auto').describe('auto | native | wasm | cpu | tensorflow'),
  web: z
    .string()
    .optional()
    .describe('the built page [default: web-dist/ of the package; build it: npm run build:web]'),
  allowHost: z
    .array(z.string())
    .optional()
    .describe(
      "also answer requests whose Host header is NAME (repeat; '*' = any). By default only the names of the address listened on are answered (127.0.0.1 → localhost, 127.0.0.1, ::1; 0.0.0.0 → this machine's addresses and host name), which stops DNS-rebinding pages from reading the API",
    ),
  maxBody: limit(
    1,
    d.maxBodyBytes,
    'largest request body, → 413 (the default: an image of --max-pixels as the page sends it, lossless PNG in base64)',
  ),
  maxPixels: limit(
    1,
    d.maxPixels,
    `refuse images and mask files of more pixels than N, read from the header before decoding (→ 400), as \`inpaint --max-pixels\`; the page follows it. Lower than inpaint's ${DEFAULT_MAX_PIXELS} by default, because a server decodes every admitted request (up to max-running + max-waiting at once) for anyone who can reach it`,
  ),
  maxWaiting: limit(0, d.maxWaiting, 'jobs waiting behind the running one; one more → 429 + Retry-After'),
  maxRunning: z
    .number()
    .int()
    .min(1)
    .default(d.maxRunning)
    .describe(
      `jobs computing at once, one worker thread each; at most ${THREADS_PER_CORE} per core and what half the memory holds at ${JOB_BYTES / 2 ** 20} MB each (${threadBound().max} here)`,
    ),
  jobTimeout: limit(1, d.jobTimeoutSec, "seconds per job, → an 'error' event"),
  maxIters: limit(0, d.maxIters, 'largest options.iters (and options.refineIters)'),
  maxRestarts: limit(1, d.maxRestarts, 'largest options.restarts'),
  headerTimeout: seconds(d.headerTimeoutSec, 'seconds to send the request headers, → 408 + close'),
  bodyTimeout: seconds(
    d.bodyTimeoutSec,
    'seconds to send the body after the headers, → 408 + close (a result stream, once the request is in, is limited by --job-timeout only)',
  ),
  maxConnections: limit(
    1,
    d.maxConnectionsPerAddress,
    'open connections per client address; a request on one more is answered 429, one more that sends nothing within 1 s is closed',
  ),
  redis: z
    .string()
    .optional()
    .describe(
      "put jobs on the BullMQ queue at this Redis instead of this server's worker threads; `wgan-inpaint worker --redis URL --model REF` processes run them (give exactly one --model, and the workers' --model and --encoder: jobs go to the workers of this model's digest only); --max-running/--max-waiting then do not apply, --max-queue does",
    ),
  // The queue's flags have no schema default: given without --redis they are refused (their defaults in the help).
  queue: z.string().optional().describe('queue name'),
  maxQueue: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe(
      "jobs waiting for the model's workers (all instances' requests and batches) at or above which → 429; checked and taken in one atomic step, so a burst of concurrent requests gets exactly N places",
    ),
  connectTimeout: z.number().min(0.1).optional().describe('give up when Redis does not answer within S seconds'),
});
const FLAGS = commandFlags('serve', ServeFlagsSchema);
const VALUES = {
  port: 'N',
  host: 'ADDR',
  model: 'NAME|DIR',
  encoder: 'DIR',
  run: 'DIR',
  backend: 'KIND',
  web: 'DIR',
  allowHost: 'NAME',
  maxBody: 'BYTES',
  maxPixels: 'N',
  maxWaiting: 'N',
  maxRunning: 'N',
  jobTimeout: 'S',
  maxIters: 'N',
  maxRestarts: 'N',
  headerTimeout: 'S',
  bodyTimeout: 'S',
  maxConnections: 'N',
  redis: 'URL',
  queue: 'NAME',
  maxQueue: 'N',
  connectTimeout: 'S',
};
const QUEUE_DEFAULTS = {
  queue: DEFAULT_QUEUE,
  maxQueue: String(DEFAULT_MAX_QUEUED),
  connectTimeout: String(DEFAULT_CONNECT_TIMEOUT_S),
};
const group = (keys: (keyof typeof VALUES)[]) => FLAGS.help({ keys, values: VALUES, defaults: QUEUE_DEFAULTS });

const help = `usage: wgan-inpaint serve [--port 8080] [--host 127.0.0.1] [--model NAME|DIR ...] [options]

Serve the web page (pick or upload an image, draw a mask, watch G(z) converge, compare, download) and
its API, on plain node:http (no web framework: the API is small and every dependency is one more to
audit). Inpainting runs on the server's fast backend by default; the page can also compute in the
browser with TF.js's wasm backend, loading the same model files from /models/<name>/.

options
${group(['port', 'host', 'model', 'encoder', 'run', 'backend', 'web', 'allowHost'])}
limits
${group(['maxBody', 'maxPixels', 'maxWaiting', 'maxRunning', 'jobTimeout', 'maxIters', 'maxRestarts', 'headerTimeout', 'bodyTimeout', 'maxConnections'])}
queue (several API instances share one worker fleet)
${group(['redis', 'queue', 'maxQueue', 'connectTimeout'])}

API (JSON; errors are 4xx {"error": "…"} naming the problem)
  GET  /healthz          {"ok": true, "jobs": {"running", "waiting"}}
  GET  /api/models       [{name, size, channels, nz, generator, critic, samples, manifest}]
  GET  /api/config       mask kinds, limits, option defaults, backend
  POST /api/inpaint      body {model, image: "data:image/png;base64,…" (PNG/JPEG/WebP/GIF),
                               mask: "data:image/png;base64,…" (white = hole, as OpenCV, LaMa, IOPaint,
                                     diffusers; transparent = known; another size than the image's is
                                     resized to it, every hole kept, as inpaint does) | {kind, seed?, ratio?},
                               maskConvention?: hole-white (default) | known-white (white = keep),
                               options?: {iters, restarts, lambda, lr, seed, window, blend, init, fit, …}}
                         options left out default as in \`inpaint\` (100 iterations × 1 restart from the
                         model's encoder, 1000 × 4 from random z; the model's fit).
                         Images are accepted as PNG, JPEG, WebP or GIF (the formats of \`inpaint\`),
                         judged by their first bytes (not by the data URL's type; SVG, TIFF, AVIF are
                         refused); a full queue answers 429 before any decoding
                         answers with a Server-Sent Events stream (src/protocol/api.ts ServerEvent):
                         'queued' {position}, 'start'
                         {resize, options, holeFraction, maskConvention, warning? (a mask PNG making
                         > 60 % of the image a hole: likely the other convention)}, 'progress' {iter,
                         iters, contextual, prior, preview?}, then 'result' {input, mask (in
                         maskConvention), masked, raw, composite, blended (PNG data URLs), losses,
                         domain, resize, seconds} or 'error' {error}; domain is null, or
                         {knownError, threshold, unlike, message?, stats?: {score, threshold, worst},
                         searchTooShort?} for a calibrated model (\`wgan-inpaint
                         calibrate\`): unlike = the image looks unlike the training data. Every result has
                         the upload's size: it is completed at the model's size by options.fit (whole:
                         the image, aspect kept; crop: a square around each hole; default: the
                         model's) and the fill brought back. Closing the connection cancels the job
                         (with --redis too: a waiting job is removed, a running one is stopped by its
                         worker within a fraction of a second, without a result).
  GET  /api/run, /run/samples/latest.png, /run/plot.svg   the --run training view
  GET  /models/<name>/{manifest.json, generator/*, critic/*, encoder/*, samples/*}   read-only model
                         files (manifest.json and encoder/manifest.json: their public part — no command
                         lines, notes or local paths)

example
  wgan-inpaint serve --run runs/fmnist --port 8080`;

export const serveCommand: Command = {
  name: 'serve',
  summary: 'web app + HTTP API: draw a mask and watch it inpainted (server or browser compute)',
  help,
  options: FLAGS.options,
  async run(v: Values): Promise<number> {
    const f = FLAGS.parse(v);
    const port = f.port;
    if (port > 65535) throw new UserError(`--port must be ≤ 65535, got ${port}`);
    const host = f.host;
    const limits: Limits = {
      maxBodyBytes: f.maxBody,
      maxPixels: f.maxPixels,
      maxWaiting: f.maxWaiting,
      // One compute thread per running job: bounded by the machine (bounds.ts).
      maxRunning: checkThreads('max-running', f.maxRunning),
      jobTimeoutSec: f.jobTimeout,
      maxIters: f.maxIters,
      maxRestarts: f.maxRestarts,
      headerTimeoutSec: f.headerTimeout,
      bodyTimeoutSec: f.bodyTimeout,
      maxConnectionsPerAddress: f.maxConnections,
    };
    const allowHosts = f.allowHost ?? [];
    if (!/^[\w.:[\]-]+$/.test(host)) throw new UserError(`--host must be an address or host name, got '${host}'`);
    const runDir = f.run;
    if (runDir && !fs.existsSync(runDir)) throw new UserError(`serve: run folder '${runDir}' does not exist`);
    const webRoot = path.resolve(f.web ?? WEB_ROOT);
    // The main thread only validates models and encodes PNGs; the inpainting workers pick the same
    // backend kind (initBackend there too).
    const backendKind = f.backend;
    await initBackend(backendKind, (m) => console.error(`notice: ${m}`));
    const given = f.model ?? [];
    // --run alone is enough: the run's newest checkpoint is served first, beside the given models (or
    // the shipped ones when none is given), unless --model already names that run.
    let refs = given;
    if (runDir && !given.some((r) => path.resolve(r) === path.resolve(runDir))) {
      let servable = true;
      try {
        resolveCheckpointDir(runDir);
      } catch (e) {
        servable = false; // a run that has not written its first checkpoint yet: its training view still works
        console.error(`notice: --run '${runDir}' is not served as a model yet: ${(e as Error).message}`);
      }
      if (servable) refs = [runDir, ...(given.length ? given : listShippedModels())];
    }
    const encoder = f.encoder;
    const models = await loadServedModels(
      refs,
      (m) => console.error(`notice: ${m}`),
      encoder !== undefined ? { encoder } : {},
    );
    if (!fs.existsSync(path.join(webRoot, 'index.html')))
      console.error(`warning: no page in ${webRoot} (run \`npm run build:web\`); the API works without it`);
    const redis = f.redis;
    // With --redis the queue workers use the same encoder as this server's own threads would: their
    // model digest (which a job must match) covers it (--encoder, else MODEL/encoder/), so workers
    // started with another one, or none, do not take these jobs.
    if (!redis)
      for (const [k, x] of [
        ['queue', f.queue],
        ['max-queue', f.maxQueue],
        ['connect-timeout', f.connectTimeout],
      ] as const)
        if (x !== undefined) throw new UserError(`serve: --${k} needs --redis`);
    const runner = redis
      ? await queueRunner({
          url: redis,
          queue: f.queue ?? DEFAULT_QUEUE,
          models,
          maxQueued: f.maxQueue ?? DEFAULT_MAX_QUEUED,
          connectTimeoutS: f.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_S,
          log: (l) => console.error(l),
        })
      : undefined;
    const s = await startServer(
      {
        models,
        webRoot,
        limits,
        backend: backendKind,
        ...(runDir ? { runDir } : {}),
        ...definedKeys({ runner }),
        ...(allowHosts.length ? { allowedHosts: [...defaultAllowedHosts(host), ...allowHosts] } : {}),
        log: (l) => console.error(l),
      },
      port,
      host,
    );
    console.error(
      `${runner ? `jobs: ${s.backend}` : `backend: ${s.backend} (${limits.maxRunning} worker thread(s))`}; models: ${models.map((m) => `${m.name} (${m.size}×${m.size}×${m.channels})`).join(', ')}`,
    );
    console.log(`serving on ${s.url}  (Ctrl-C to stop)`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        console.error('stopping…');
        void s.close().then(resolve);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
};
