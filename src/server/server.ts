/**
 * The HTTP server of `wgan-inpaint serve`, on plain node:http: the API is five routes, and no
 * framework means fewer dependencies to install, audit and keep up to date.
 *
 *   GET  /healthz                 {ok: true, jobs: {running, waiting}}
 *   GET  /api/config              mask kinds, limits, option defaults
 *   GET  /api/models              [ModelInfo]
 *   POST /api/inpaint             JSON body → a Server-Sent Events stream (see docs in README/serve --help)
 *   GET  /api/run                 the training run given with --run (404 without)
 *   GET  /run/{samples/latest.png,plot.svg,plot.png}   files of that run
 *   GET  /models/<name>/…         manifest.json, generator/*, critic/*, encoder/*, samples/* (read-only;
 *                                 every manifest.json as its public part, models.ts publicManifest)
 *   GET  /…                       the built page (web-dist/)
 *
 * Every response carries COOP/COEP (cross-origin isolation, so the page's wasm backend may use
 * threads) and nosniff. Files are served only through `resolveInside` (static.ts). Inpainting runs in
 * worker threads (pool.ts), one per running job, so the HTTP thread always answers at once.
 *
 * Shedding bad clients: headers must arrive within `headerTimeoutSec` and the body within
 * `bodyTimeoutSec` after them (else 408 and the connection is closed; a response stream, once the
 * request is in, is not limited by these); one address holds at most `maxConnectionsPerAddress`
 * connections; a POST is refused with 429 (queue full) before its image is decoded; only requests
 * whose Host header names this server are answered (DNS rebinding: a page on evil.example whose name
 * resolves to 127.0.0.1 would otherwise read the API), see `allowedHosts`.
 */
import { DEFAULT_INPAINT, INIT_DEFAULTS } from '../inpaint/options.js';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type net from 'node:net';
import type { AddressInfo } from 'node:net';
import { describeFsError } from '../io/atomic.js';
import { encodePng, maskToImage } from '../io/image.js';
import { PACKAGE_ROOT } from '../io/paths.js';
import { MASK_KINDS, describeMaskKind, holeFraction } from '../masks/masks.js';
import { RunDir } from '../train/run_dir.js';
import { UserError } from '../util/errors.js';
import type { ImageBatch } from '../types.js';
import { JobQueue } from './jobs.js';
import { InpaintPool, type InpaintRunner, type WorkerProgress } from './pool.js';
import { isManifestFile, isServedModelFile, modelInfo, publicManifest, type ServedModel } from './models.js';
import { DEFAULT_LIMITS, HttpError, prepareInputs, validateBody, type Limits, type PreparedJob } from './request.js';
import { IMAGE_FORMATS, previewEvery } from '../inpaint/surface.js';
import { resolveInside, sendFile } from './static.js';

/** Where Vite writes the page (vite.config.ts `build.outDir`). */
export const WEB_ROOT = path.join(PACKAGE_ROOT, 'web-dist');

export interface ServerOptions {
  models: ServedModel[];
  /** Folder of the built page [default: web-dist/ in the package]. */
  webRoot?: string;
  /** A training run folder for the training view. */
  runDir?: string;
  limits?: Partial<Limits>;
  /** TF.js backend kind for the inpainting workers (initBackend) [default: auto]. */
  backend?: string;
  /** One line per request error / job (default: none). */
  log?: (line: string) => void;
  /**
   * Run jobs here instead of on the server's own worker threads — serve --redis passes the shared
   * queue (src/queue/server_runner.ts); admission is then the queue's (its depth → 429), not maxRunning.
   */
  runner?: InpaintRunner;
  /**
   * Host names (the Host header without its port) this server answers to; `*` = any. Default: what
   * startServer listens on (see defaultAllowedHosts); createServer alone allows any.
   */
  allowedHosts?: string[];
}

export interface RunningServer {
  server: http.Server;
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  queue: JobQueue;
  /** The backend the workers run on. */
  backend: string;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
};

/** Files of a run folder the training view shows. */
const RUN_FILES = new Set(['samples/latest.png', 'plot.svg', 'plot.png']);

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const s = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(s),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(s);
}

async function dataUrl(b: ImageBatch): Promise<string> {
  return `data:image/png;base64,${Buffer.from(await encodePng(b)).toString('base64')}`;
}

/** Read a JSON body of at most `max` bytes; 413 beyond, 415 for another content type, 400 for bad JSON. */
function readJson(req: http.IncomingMessage, max: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') {
      req.resume();
      reject(new HttpError(415, `content type must be application/json, got '${type || 'none'}'`));
      return;
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    const tooBig = () =>
      new HttpError(413, `request body is larger than this server's limit of ${max} bytes`, { Connection: 'close' });
    if (declared > max) {
      req.resume();
      reject(tooBig());
      return;
    }
    const chunks: Buffer[] = [];
    let n = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      n += c.length;
      if (n > max) {
        failed = true;
        chunks.length = 0;
        reject(tooBig());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (failed) return;
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (e) {
        reject(new HttpError(400, `body is not valid JSON: ${(e as Error).message}`));
      }
    });
    // The client went away mid-body (or the body timeout closed it): nothing to answer, nothing to log.
    req.on('error', () => {
      if (!failed) reject(new ClientGone());
    });
  });
}

/** The client closed the connection (or was timed out) before its request was complete. */
class ClientGone extends Error {}

/** The hostname of a Host header (`[::1]:8080` → `::1`, `Example.COM:80` → `example.com`). */
export function hostOf(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const colon = h.lastIndexOf(':');
  return (colon >= 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h).replace(/\.$/, '');
}

const LOOPBACK = ['localhost', '127.0.0.1', '::1'];

/**
 * The host names a server listening on `host` answers to by default: a loopback address → the
 * loopback names; a wildcard (0.0.0.0, ::) → every address of this machine, its host name and the
 * loopback names; anything else → that name or address itself.
 */
export function defaultAllowedHosts(host: string): string[] {
  const h = hostOf(host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);
  const isLoopback = LOOPBACK.includes(h) || /^127\./.test(h);
  if (h === '0.0.0.0' || h === '::' || h === '') {
    const addrs = Object.values(os.networkInterfaces()).flatMap((l) => (l ?? []).map((a) => a.address.toLowerCase()));
    return [...new Set([...LOOPBACK, ...addrs, os.hostname().toLowerCase()])];
  }
  return [...new Set([h, ...(isLoopback ? LOOPBACK : [])])];
}

/** Summary of a training run folder for GET /api/run. */
function runInfo(runDir: string): Record<string, unknown> {
  const r = new RunDir(runDir).summary();
  return {
    name: path.basename(path.resolve(runDir)),
    iterations: r.iterations,
    last: r.last,
    samples: r.samples !== null ? '/run/samples/latest.png' : null,
    plot: r.plot !== null ? '/run/plot.svg' : null,
    updated: Math.max(r.samples ?? 0, r.plot ?? 0) || null,
    diverged: r.diverged,
  };
}

export function createServer(opts: ServerOptions): {
  server: http.Server;
  queue: JobQueue;
  pool: InpaintRunner;
  limits: Limits;
} {
  const limits: Limits = { ...DEFAULT_LIMITS, ...opts.limits };
  // With a runner the shared queue decides who waits (its depth → 429); locally every request runs.
  const queue = opts.runner
    ? new JobQueue(Number.MAX_SAFE_INTEGER, 0)
    : new JobQueue(limits.maxRunning, limits.maxWaiting);
  // One worker per running job: inpainting never blocks the HTTP thread.
  const pool: InpaintRunner =
    opts.runner ??
    new InpaintPool(limits.maxRunning, {
      backend: opts.backend ?? 'auto',
      models: opts.models.map((m) => ({ name: m.name, dir: m.dir, encoder: m.encoder?.dir ?? null })),
    });
  let backendName: string | null = null;
  pool.ready().then(
    (b) => (backendName = b),
    () => {},
  );
  const webRoot = opts.webRoot ?? WEB_ROOT;
  const log = opts.log ?? (() => {});

  const anyHost = !opts.allowedHosts || opts.allowedHosts.includes('*');
  const allowed = new Set((opts.allowedHosts ?? []).map((h) => hostOf(h)));

  /** Validate (cheap) → take a place in the queue or 429 → decode and fit (slow) → run. */
  async function runJob(_req: http.IncomingMessage, res: http.ServerResponse, body: unknown): Promise<void> {
    const checked = validateBody(body, opts.models, limits);
    // The client going away (tab closed, fetch aborted) cancels the job, waiting or running.
    const ac = new AbortController();
    let finished = false;
    res.on('close', () => {
      if (!finished) ac.abort();
    });
    let chain = Promise.resolve();
    const send = (event: string, data: unknown) => {
      if (!res.writableEnded && !res.destroyed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    // The queue reports the place in line at once (before the stream's headers are out), so keep
    // it until the stream is open.
    let streaming = false;
    let position = 0;
    // A place in the shared queue (serve --redis), taken atomically; given back when the response
    // ends at the latest (the runner gives it back as soon as the job is on the queue).
    const admission = await pool.admit?.();
    if (admission && !admission.ok) {
      json(res, 429, { error: admission.message }, { 'Retry-After': String(admission.retryAfter) });
      return;
    }
    if (admission) {
      res.once('close', () => admission.release());
      if (res.closed) admission.release(); // the client left during the admission
    }
    const queued = queue.acquire(ac.signal, (p) => {
      position = p;
      if (streaming) send('queued', { position });
    });
    if (!queued) {
      const wait = queue.retryAfter();
      json(
        res,
        429,
        {
          error: `server busy: ${queue.stats.running} job(s) running and ${queue.stats.waiting} waiting; retry in ${wait} s`,
        },
        { 'Retry-After': String(wait) },
      );
      return;
    }
    // A rejection (the client left while waiting) is handled below; never leave it unhandled.
    queued.catch(() => {});
    // Only a request with a place in line gets its image decoded. A bad image gives up the place.
    let job: PreparedJob;
    try {
      job = await prepareInputs(checked.body, checked.model, checked.options, limits);
    } catch (e) {
      finished = true;
      ac.abort();
      queued.then(
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
    if (position > 0) send('queued', { position });
    let slot: Awaited<typeof queued>;
    try {
      slot = await queued;
    } catch {
      res.end();
      return; // the client left while waiting
    }
    const { model, image, mask, options, resize, maskConvention, warning } = job;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort();
    }, limits.jobTimeoutSec * 1000);
    const t0 = Date.now();
    try {
      send('start', {
        model: model.name,
        start: checked.start,
        iters: options.iters,
        restarts: options.restarts,
        options,
        resize,
        holeFraction: holeFraction(mask),
        maskConvention,
        ...(warning ? { warning } : {}),
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
        const base = { iter: p.iter, iters: p.iters, contextual: p.contextual, prior: p.prior };
        const raw = p.raw;
        chain = chain.then(async () => send('progress', raw ? { ...base, preview: await dataUrl(raw) } : base));
      };
      const r = await pool.run(
        { model: model.name, image, mask, options: { ...options, progressEvery } },
        onProgress,
        ac.signal,
        admission?.ok ? admission : undefined,
      );
      await chain;
      const [input, maskPng, masked, raw, composite, blended] = await Promise.all(
        [image, maskToImage(mask, maskConvention), r.masked, r.raw, r.composite, r.blended].map(dataUrl),
      );
      send('result', {
        input,
        mask: maskPng,
        maskConvention,
        masked,
        raw,
        composite,
        blended,
        losses: r.losses,
        domain: r.domain ?? null,
        resize,
        seconds: (Date.now() - t0) / 1000,
        backend: backendName,
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
      send('error', { error: msg });
    } finally {
      clearTimeout(timer);
      slot.release();
      finished = true;
      res.end();
    }
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    if ((res as { overCap?: boolean }).overCap) {
      req.resume();
      const a = req.socket.remoteAddress ?? '?';
      log(`refused a request from ${a}: over ${limits.maxConnectionsPerAddress} open connections`);
      return json(
        res,
        429,
        {
          error: `server busy: more than ${limits.maxConnectionsPerAddress} connections open from ${a} (this server's limit per address); retry in 1 s`,
        },
        { 'Retry-After': '1', Connection: 'close' },
      );
    }
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const pathname = q >= 0 ? rawUrl.slice(0, q) : rawUrl;
    const method = req.method ?? 'GET';

    const hostHeader = req.headers.host;
    if (!anyHost && hostHeader !== undefined && !allowed.has(hostOf(hostHeader))) {
      req.resume();
      return json(res, 403, {
        error: `host '${hostOf(hostHeader)}' is not a name this server answers to (valid: ${[...allowed].join(', ')}; start it with --allow-host NAME to add one)`,
      });
    }
    if (pathname === '/api/inpaint') {
      if (method !== 'POST') return json(res, 405, { error: 'use POST for /api/inpaint' }, { Allow: 'POST' });
      const body = await readJson(req, limits.maxBodyBytes);
      return runJob(req, res, body);
    }
    if (method !== 'GET' && method !== 'HEAD')
      return json(res, 405, { error: `method ${method} not allowed on ${pathname}` }, { Allow: 'GET' });
    req.resume();
    if (pathname === '/healthz') return json(res, 200, { ok: true, jobs: queue.stats, tensors: pool.tensors() });
    if (pathname === '/api/models') return json(res, 200, opts.models.map(modelInfo));
    if (pathname === '/api/config') {
      return json(res, 200, {
        maskKinds: MASK_KINDS.map((kind) => ({ kind, describe: describeMaskKind(kind) })),
        limits,
        // The library's own defaults (the page fills its form with them): per start, as the CLI.
        defaults: {
          ...INIT_DEFAULTS.random,
          lambda: DEFAULT_INPAINT.lambda,
          lr: DEFAULT_INPAINT.lr,
          seed: DEFAULT_INPAINT.seed,
          blend: DEFAULT_INPAINT.blend,
          init: DEFAULT_INPAINT.init,
          encoder: INIT_DEFAULTS.encoder,
        },
        formats: IMAGE_FORMATS,
        backend: backendName,
        run: !!opts.runDir,
      });
    }
    if (pathname === '/api/run') {
      if (!opts.runDir) return json(res, 404, { error: 'no training run: start the server with --run DIR' });
      return json(res, 200, runInfo(opts.runDir));
    }
    if (pathname.startsWith('/run/')) {
      if (!opts.runDir) return json(res, 404, { error: 'no training run' });
      const r = resolveInside(opts.runDir, pathname.slice('/run/'.length));
      if (!r.ok) return json(res, r.status, { error: r.status === 403 ? 'forbidden path' : 'not found' });
      if (!RUN_FILES.has(r.rel)) return json(res, 404, { error: 'not found' });
      return sendFile(res, r.file);
    }
    if (pathname.startsWith('/models/')) {
      const rest = pathname.slice('/models/'.length);
      const slash = rest.indexOf('/');
      const name = decodeURIComponentSafe(slash >= 0 ? rest.slice(0, slash) : rest);
      const model = opts.models.find((m) => m.name === name);
      if (!model || slash < 0) return json(res, 404, { error: `unknown model '${name ?? ''}'` });
      // encoder/* is the encoder the searches start from (serve --encoder's folder, or MODEL/encoder/
      // when it was accepted), wherever it is; with none, none is served.
      // (The first segment decoded: '%65ncoder/…' is encoder/ too.)
      const rel = rest.slice(slash + 1);
      const cut = rel.indexOf('/');
      const inEncoder = cut > 0 && decodeURIComponentSafe(rel.slice(0, cut)) === 'encoder';
      if (inEncoder && !model.encoder) return json(res, 404, { error: `model '${name}' has no encoder` });
      const r = inEncoder ? resolveInside(model.encoder!.dir, rel.slice(cut + 1)) : resolveInside(model.dir, rel);
      if (!r.ok) return json(res, r.status, { error: r.status === 403 ? 'forbidden path' : 'not found' });
      const served = inEncoder ? `encoder/${r.rel}` : r.rel;
      if (!isServedModelFile(served)) return json(res, 404, { error: 'not found' });
      // Every manifest (the model's, its encoder's) holds command lines, local paths and notes: only
      // its public part leaves, through the one function. The model's is the one loaded at start.
      if (isManifestFile(served)) {
        if (served === 'manifest.json') return json(res, 200, publicManifest(model.manifest));
        let raw: unknown;
        try {
          raw = JSON.parse(fs.readFileSync(r.file, 'utf8'));
        } catch (e) {
          log(`cannot read ${r.file}: ${(e as Error).message}`);
          return json(res, 500, { error: 'internal error' });
        }
        return json(res, 200, publicManifest(raw as Record<string, unknown>));
      }
      return sendFile(res, r.file);
    }
    // The page. `/` is index.html; hashed assets may be cached for long.
    const rel = pathname === '/' ? 'index.html' : pathname.slice(1);
    if (!fs.existsSync(path.join(webRoot, 'index.html'))) {
      return json(res, 503, {
        error: `the web page is not built (no ${path.join(webRoot, 'index.html')}): run \`npm run build:web\``,
      });
    }
    const r = resolveInside(webRoot, rel);
    if (!r.ok) return json(res, r.status, { error: r.status === 403 ? 'forbidden path' : 'not found' });
    return sendFile(res, r.file, r.rel.startsWith('assets/') ? 86400 : 0);
  }

  // Timeouts are checked every connectionsCheckingInterval ms (Node's default, 30 s, would let a
  // slow client hold its socket 30 s past its limit).
  const checkMs = Math.max(20, Math.min(1000, (Math.min(limits.headerTimeoutSec, limits.bodyTimeoutSec) * 1000) / 4));
  const server = http.createServer({ connectionsCheckingInterval: checkMs }, (req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (e instanceof ClientGone) {
        res.destroy();
        return;
      }
      const status = e instanceof HttpError ? e.status : e instanceof UserError ? 400 : 500;
      if (status === 500) log(`internal error on ${req.method} ${req.url}: ${(e as Error).stack ?? String(e)}`);
      if (res.headersSent) {
        res.end();
        return;
      }
      json(
        res,
        status,
        { error: status === 500 ? 'internal error' : (e as Error).message },
        e instanceof HttpError ? e.headers : {},
      );
    });
  });
  // Receiving a request is bounded (headers, then body); answering it is not: an SSE stream may run
  // for minutes once the request is in (requestTimeout stops counting when the request is complete).
  // Node's requestTimeout counts from the request's first byte, so alone it would give a client that
  // sends its headers at once header + body seconds for its body (80 s where 60 s is documented): the
  // body's own timer below starts when the headers are in; requestTimeout stays as a backstop.
  server.headersTimeout = limits.headerTimeoutSec * 1000;
  server.requestTimeout = (limits.headerTimeoutSec + limits.bodyTimeoutSec) * 1000;
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.complete) return;
    const t = setTimeout(() => {
      if (req.complete) return;
      // As Node's own request timeout: 408 when nothing was answered yet, and the connection closed.
      if (!res.headersSent) {
        res.setHeader('Connection', 'close');
        json(res, 408, { error: `request body not received within this server's limit of ${limits.bodyTimeoutSec} s` });
      }
      res.once('finish', () => req.socket.destroy());
      if (res.writableFinished) req.socket.destroy();
    }, limits.bodyTimeoutSec * 1000);
    t.unref();
    const done = () => clearTimeout(t);
    req.once('end', done);
    req.once('close', done);
  });
  // Connections per client address. One over the cap gets a short grace to send its request, which is
  // answered 429 (so a browser or script sees why); one that sends nothing is closed.
  const perAddress = new Map<string, number>();
  const overCap = new WeakMap<net.Socket, NodeJS.Timeout>();
  server.on('connection', (socket: net.Socket) => {
    const a = socket.remoteAddress ?? '?';
    const n = (perAddress.get(a) ?? 0) + 1;
    perAddress.set(a, n);
    socket.once('close', () => {
      clearTimeout(overCap.get(socket));
      const m = (perAddress.get(a) ?? 1) - 1;
      if (m > 0) perAddress.set(a, m);
      else perAddress.delete(a);
    });
    if (n > limits.maxConnectionsPerAddress) {
      const t = setTimeout(() => socket.destroy(), Math.min(1000, limits.headerTimeoutSec * 1000));
      t.unref();
      overCap.set(socket, t);
    }
  });
  server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const t = overCap.get(req.socket);
    if (t === undefined) return;
    clearTimeout(t);
    overCap.delete(req.socket);
    (res as { overCap?: boolean }).overCap = true;
  });
  server.on('close', () => void pool.close());
  return { server, queue, pool, limits };
}

function decodeURIComponentSafe(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'the port is already in use (another server?)',
  EADDRNOTAVAIL: 'that address is not one of this machine’s',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name cannot be resolved',
};

/**
 * Create and listen; `port` 0 picks a free port (tests). A port in use, an address not of this
 * machine or an unknown host → one UserError line naming host and port.
 */
export async function startServer(opts: ServerOptions, port = 8080, host = '127.0.0.1'): Promise<RunningServer> {
  const { server, queue, pool } = createServer({
    ...opts,
    allowedHosts: opts.allowedHosts ?? defaultAllowedHosts(host),
  });
  let backend: string;
  try {
    backend = await pool.ready();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    await pool.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (code && !(e instanceof UserError))
      throw new UserError(
        `cannot listen on ${host}:${port}: ${LISTEN_ERRORS[code] ?? describeFsError(e)}${LISTEN_ERRORS[code] ? ` (${code})` : ''}`,
      );
    throw e;
  }
  const a = server.address() as AddressInfo;
  const h = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return {
    server,
    url: `http://${h}:${a.port}`,
    queue,
    backend,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await pool.close();
    },
  };
}
