/** `wgan-inpaint serve`: the web app (draw a mask, watch it inpainted) and its JSON/SSE API. */
import fs from 'node:fs';
import path from 'node:path';
import { str, type Command, type Values, numOpt } from './command.js';
import { initBackend } from '../backends/index.js';
import { loadServedModels } from '../server/models.js';
import { listShippedModels, resolveCheckpointDir } from '../train/checkpoint.js';
import { defaultAllowedHosts, startServer, WEB_ROOT } from '../server/server.js';
import { DEFAULT_LIMITS, type Limits } from '../server/request.js';
import { DEFAULT_MAX_PIXELS } from '../io/image.js';
import { UserError } from '../util/errors.js';
import { threadBound, THREADS_PER_CORE, JOB_BYTES, threadsOpt } from './bounds.js';
import { DEFAULT_MAX_QUEUED, queueRunner } from '../queue/server_runner.js';
import { DEFAULT_QUEUE } from '../queue/protocol.js';
import { DEFAULT_CONNECT_TIMEOUT_S } from '../queue/redis.js';

const d = DEFAULT_LIMITS;

const help = `usage: wgan-inpaint serve [--port 8080] [--host 127.0.0.1] [--model NAME|DIR ...] [options]

Serve the web page (pick or upload an image, draw a mask, watch G(z) converge, compare, download) and
its API, on plain node:http (no web framework: the API is small and every dependency is one more to
audit). Inpainting runs on the server's fast backend by default; the page can also compute in the
browser with TF.js's wasm backend, loading the same model files from /models/<name>/.

options
  --port N               port, 0 = any free one [default: 8080]
  --host ADDR            address to listen on [default: 127.0.0.1; 0.0.0.0 exposes it to your network]
  --model NAME|DIR       a shipped model name, checkpoint folder or run folder (newest checkpoint);
                         repeat for several [default: every model in models/]
  --encoder DIR          start the searches from this encoder (an encoder folder or a train-encoder run;
                         refused unless trained for the model's generator) instead of MODEL/encoder/;
                         needs exactly one --model. The page loads it too, for browser compute
  --run DIR              a training run folder: its newest checkpoint is served (first in the list)
                         and the page's training view shows its latest sample grid and plot
                         and W-estimate plot, refreshed every few seconds
  --backend KIND         auto | native | wasm | cpu | tensorflow [default: auto]
  --web DIR              the built page [default: web-dist/ of the package; build it: npm run build:web]
  --allow-host NAME      also answer requests whose Host header is NAME (repeat; '*' = any). By
                         default only the names of the address listened on are answered (127.0.0.1 →
                         localhost, 127.0.0.1, ::1; 0.0.0.0 → this machine's addresses and host name),
                         which stops DNS-rebinding pages from reading the API
limits
  --max-body BYTES       largest request body, → 413 [default: ${d.maxBodyBytes}: an image of
                         --max-pixels as the page sends it, lossless PNG in base64]
  --max-pixels N         refuse images and mask files of more pixels than N, read from the header
                         before decoding (→ 400), as \`inpaint --max-pixels\`; the page follows it.
                         [default: ${d.maxPixels}: lower than inpaint's ${DEFAULT_MAX_PIXELS}, because a
                         server decodes every admitted request (up to max-running + max-waiting at
                         once) for anyone who can reach it]
  --max-waiting N        jobs waiting behind the running one; one more → 429 + Retry-After [default: ${d.maxWaiting}]
  --max-running N        jobs computing at once, one worker thread each [default: ${d.maxRunning}]; at most
                         ${THREADS_PER_CORE} per core and what half the memory holds at ${JOB_BYTES / 2 ** 20} MB each (${threadBound().max} here)
  --job-timeout S        seconds per job, → an 'error' event [default: ${d.jobTimeoutSec}]
  --max-iters N          largest options.iters [default: ${d.maxIters}]
  --max-restarts N       largest options.restarts [default: ${d.maxRestarts}]
  --header-timeout S     seconds to send the request headers, → 408 + close [default: ${d.headerTimeoutSec}]
  --body-timeout S       seconds to send the body after the headers, → 408 + close [default: ${d.bodyTimeoutSec}]
                         (a result stream, once the request is in, is limited by --job-timeout only)
  --max-connections N    open connections per client address; a request on one more is answered 429,
                         one more that sends nothing within 1 s is closed [default: ${d.maxConnectionsPerAddress}]
queue (several API instances share one worker fleet)
  --redis URL            put jobs on the BullMQ queue at this Redis instead of this server's worker
                         threads; \`wgan-inpaint worker --redis URL --model REF\` processes run them
                         (give exactly one --model, and the workers' --model and --encoder: jobs go
                         to the workers of this model's digest only);
                         --max-running/--max-waiting then do not apply, --max-queue does
  --queue NAME           queue name [default: ${DEFAULT_QUEUE}]
  --max-queue N          jobs waiting for the model's workers (all instances' requests and batches)
                         at or above which → 429; checked and taken in one atomic step, so a burst
                         of concurrent requests gets exactly N places [default: ${DEFAULT_MAX_QUEUED}]
  --connect-timeout S    give up when Redis does not answer within S seconds [default: ${DEFAULT_CONNECT_TIMEOUT_S}]

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
                         answers with a Server-Sent Events stream: 'queued' {position}, 'start'
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

/** flag, limit, least value, integer? */
const LIMIT_FLAGS: [string, keyof Limits, number, boolean][] = [
  ['max-body', 'maxBodyBytes', 1, true],
  ['max-pixels', 'maxPixels', 1, true],
  ['max-waiting', 'maxWaiting', 0, true],
  ['max-running', 'maxRunning', 1, true],
  ['job-timeout', 'jobTimeoutSec', 1, true],
  ['max-iters', 'maxIters', 0, true],
  ['max-restarts', 'maxRestarts', 1, true],
  ['header-timeout', 'headerTimeoutSec', 0.01, false],
  ['body-timeout', 'bodyTimeoutSec', 0.01, false],
  ['max-connections', 'maxConnectionsPerAddress', 1, true],
];

export const serveCommand: Command = {
  name: 'serve',
  summary: 'web app + HTTP API: draw a mask and watch it inpainted (server or browser compute)',
  help,
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    model: { type: 'string', multiple: true },
    encoder: { type: 'string' },
    run: { type: 'string' },
    backend: { type: 'string' },
    web: { type: 'string' },
    'allow-host': { type: 'string', multiple: true },
    ...Object.fromEntries(LIMIT_FLAGS.map(([f]) => [f, { type: 'string' as const }])),
    redis: { type: 'string' },
    queue: { type: 'string' },
    'max-queue': { type: 'string' },
    'connect-timeout': { type: 'string' },
  },
  async run(v: Values): Promise<number> {
    const port = numOpt(v, 'port', { int: true, min: 0 }) ?? 8080;
    if (port > 65535) throw new UserError(`--port must be ≤ 65535, got ${port}`);
    const host = str(v, 'host', '127.0.0.1')!;
    const limits: Partial<Limits> = {};
    for (const [flag, key, min, int] of LIMIT_FLAGS) {
      // --max-running starts one compute thread per job: bounded by the machine (bounds.ts).
      const n =
        key === 'maxRunning'
          ? v[flag] === undefined
            ? undefined
            : threadsOpt(v, flag, DEFAULT_LIMITS.maxRunning)
          : numOpt(v, flag, { int, min, max: 1e9 });
      if (n !== undefined) limits[key] = n;
    }
    const allowHosts = (v['allow-host'] as unknown as string[] | undefined) ?? [];
    if (!/^[\w.:[\]-]+$/.test(host)) throw new UserError(`--host must be an address or host name, got '${host}'`);
    const runDir = str(v, 'run');
    if (runDir && !fs.existsSync(runDir)) throw new UserError(`serve: run folder '${runDir}' does not exist`);
    const webRoot = path.resolve(str(v, 'web', WEB_ROOT)!);
    // The main thread only validates models and encodes PNGs; the inpainting workers pick the same
    // backend kind (initBackend there too).
    const backendKind = str(v, 'backend', 'auto')!;
    await initBackend(backendKind, (m) => console.error(`notice: ${m}`));
    const given = (v.model as unknown as string[] | undefined) ?? [];
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
    const encoder = str(v, 'encoder');
    const models = await loadServedModels(
      refs,
      (m) => console.error(`notice: ${m}`),
      encoder !== undefined ? { encoder } : {},
    );
    if (!fs.existsSync(path.join(webRoot, 'index.html')))
      console.error(`warning: no page in ${webRoot} (run \`npm run build:web\`); the API works without it`);
    const redis = str(v, 'redis');
    // With --redis the queue workers use the same encoder as this server's own threads would: their
    // model digest (which a job must match) covers it (--encoder, else MODEL/encoder/), so workers
    // started with another one, or none, do not take these jobs.
    if (!redis)
      for (const k of ['queue', 'max-queue', 'connect-timeout'])
        if (str(v, k) !== undefined) throw new UserError(`serve: --${k} needs --redis`);
    const runner = redis
      ? await queueRunner({
          url: redis,
          queue: str(v, 'queue', DEFAULT_QUEUE)!,
          models,
          maxQueued: numOpt(v, 'max-queue', { int: true, min: 0, def: DEFAULT_MAX_QUEUED }),
          connectTimeoutS: numOpt(v, 'connect-timeout', { min: 0.1, def: DEFAULT_CONNECT_TIMEOUT_S }),
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
        ...(runner ? { runner } : {}),
        ...(allowHosts.length ? { allowedHosts: [...defaultAllowedHosts(host), ...allowHosts] } : {}),
        log: (l) => console.error(l),
      },
      port,
      host,
    );
    console.error(
      `${runner ? `jobs: ${s.backend}` : `backend: ${s.backend} (${limits.maxRunning ?? DEFAULT_LIMITS.maxRunning} worker thread(s))`}; models: ${models.map((m) => `${m.name} (${m.size}×${m.size}×${m.channels})`).join(', ')}`,
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
