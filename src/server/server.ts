/**
 * The HTTP server of `wgan-inpaint serve`, on plain node:http: the API is a few routes, and no
 * framework means fewer dependencies to install, audit and keep up to date. The routes are a table
 * (routes.ts; POST /api/inpaint in inpaint_route.ts); this file refuses what no route should see and
 * bounds the connections.
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
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type net from 'node:net';
import type { AddressInfo } from 'node:net';
import { describeFsError } from '../io/atomic.js';
import { PACKAGE_ROOT } from '../io/paths.js';
import { UserError } from '../util/errors.js';
import { ClientGone, SECURITY_HEADERS, json, type ServerContext } from './http.js';
import { JobQueue } from './jobs.js';
import type { ServedModel } from './models.js';
import { InpaintPool } from './pool.js';
import { DEFAULT_LIMITS, HttpError, type Limits } from './request.js';
import { ROUTES } from './routes.js';
import type { InpaintRunner } from './runner.js';

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
  const log = opts.log ?? (() => {});
  const ctx: ServerContext = {
    models: opts.models,
    limits,
    queue,
    pool,
    runDir: opts.runDir,
    webRoot: opts.webRoot ?? WEB_ROOT,
    log,
    backend: () => backendName,
  };

  const anyHost = !opts.allowedHosts || opts.allowedHosts.includes('*');
  const allowed = new Set((opts.allowedHosts ?? []).map((h) => hostOf(h)));
  /** Requests that came on a connection over the per-address cap (answered 429). */
  const overCapResponses = new WeakSet<http.ServerResponse>();

  /** Refuse what no route should see (over the connection cap, a foreign Host), then the first matching route answers. */
  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    if (overCapResponses.has(res)) {
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
    const hostHeader = req.headers.host;
    if (!anyHost && hostHeader !== undefined && !allowed.has(hostOf(hostHeader))) {
      req.resume();
      return json(res, 403, {
        error: `host '${hostOf(hostHeader)}' is not a name this server answers to (valid: ${[...allowed].join(', ')}; start it with --allow-host NAME to add one)`,
      });
    }
    const route = ROUTES.find((r) => r.match(pathname));
    if (!route) return json(res, 404, { error: 'not found' });
    return route.handle(ctx, req, res, pathname);
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
  boundRequestTime(server, limits);
  capConnectionsPerAddress(server, limits, overCapResponses);
  server.on('close', () => void pool.close());
  return { server, queue, pool, limits };
}

/**
 * Receiving a request is bounded (headers, then body); answering it is not: an SSE stream may run
 * for minutes once the request is in (requestTimeout stops counting when the request is complete).
 * Node's requestTimeout counts from the request's first byte, so alone it would give a client that
 * sends its headers at once header + body seconds for its body (80 s where 60 s is documented): the
 * body's own timer below starts when the headers are in; requestTimeout stays as a backstop.
 */
function boundRequestTime(server: http.Server, limits: Limits): void {
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
}

/**
 * Connections per client address. One over the cap gets a short grace to send its request, which is
 * answered 429 (its response goes into `overCapResponses`, so a browser or script sees why); one that sends
 * nothing is closed.
 */
function capConnectionsPerAddress(
  server: http.Server,
  limits: Limits,
  overCapResponses: WeakSet<http.ServerResponse>,
): void {
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
    overCapResponses.add(res);
  });
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
