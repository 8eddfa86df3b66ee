/**
 * The server's plumbing shared by its routes (routes.ts, inpaint_route.ts): what a route is given
 * (ServerContext), JSON answers and bodies, and the headers every response carries.
 */
import type http from 'node:http';
import type { JobQueue } from './jobs.js';
import type { ServedModel } from './models.js';
import { HttpError, type Limits } from './request.js';
import type { InpaintRunner } from './runner.js';

/** What every route may use: the served models, limits, the job queue and runner, the log. */
export interface ServerContext {
  models: ServedModel[];
  limits: Limits;
  /** Who runs now and who waits (locally; with a runner that admits, every request runs). */
  queue: JobQueue;
  pool: InpaintRunner;
  /** The training run shown by GET /api/run and /run/… (serve --run), if any. */
  runDir: string | undefined;
  /** Folder of the built page. */
  webRoot: string;
  log: (line: string) => void;
  /** The backend the jobs run on, once the runner is ready (null before). */
  backend(): string | null;
}

/**
 * A route: requests whose path `match`es go to `handle` (which may answer 405 for another method).
 * The route table (routes.ts) is tried in order; the first match answers.
 */
export interface Route {
  /** What it serves, for the reader: e.g. 'GET /api/config'. */
  name: string;
  match(pathname: string): boolean;
  handle(
    ctx: ServerContext,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    pathname: string,
  ): Promise<void> | void;
}

/** Sent on every response: cross-origin isolation (the page's wasm threads) and nosniff. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
};

/** Answer with a JSON body (never cached). */
export function json(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const s = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(s),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(s);
}

/** The client closed the connection (or was timed out) before its request was complete. */
export class ClientGone extends Error {}

/** Read a JSON body of at most `max` bytes; 413 beyond, 415 for another content type, 400 for bad JSON. */
export function readJson(req: http.IncomingMessage, max: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
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
