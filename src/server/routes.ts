/**
 * The server's route table: path → handler, tried in order (the page, last, takes every other path).
 *
 *   POST /api/inpaint             inpaint_route.ts (a Server-Sent Events stream)
 *   GET  /healthz                 {ok: true, jobs: {running, waiting}, tensors}
 *   GET  /api/models              [ModelInfo]
 *   GET  /api/config              ServerConfig (src/protocol/api.ts)
 *   GET  /api/run                 the training run given with --run (404 without)
 *   GET  /run/{samples/latest.png,plot.svg,plot.png}   files of that run
 *   GET  /models/<name>/…         manifest.json, generator/*, critic/*, encoder/*, samples/* (read-only;
 *                                 every manifest.json as its public part, models.ts publicManifest)
 *   GET  /…                       the built page (web-dist/)
 */
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { MASK_KINDS, describeMaskKind } from '../masks/masks.js';
import { IMAGE_FORMATS } from '../inpaint/surface.js';
import type { ServerConfig } from '../protocol/api.js';
import { configDefaults } from '../protocol/convert.js';
import { RunDir } from '../train/run_dir.js';
import { json, type Route, type ServerContext } from './http.js';
import { inpaintRoute } from './inpaint_route.js';
import { isManifestFile, isServedModelFile, modelInfo, publicManifest } from './models.js';
import { resolveInside, sendFile } from './static.js';

/** Files of a run folder the training view shows. */
const RUN_FILES = new Set(['samples/latest.png', 'plot.svg', 'plot.png']);

/** GET /api/config. */
export function serverConfig(ctx: ServerContext): ServerConfig {
  return {
    maskKinds: MASK_KINDS.map((kind) => ({ kind, describe: describeMaskKind(kind) })),
    limits: ctx.limits,
    // The library's own defaults: per start, as the CLI.
    defaults: configDefaults(),
    formats: IMAGE_FORMATS,
    backend: ctx.backend(),
    run: !!ctx.runDir,
  };
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

function decodeURIComponentSafe(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** GET /run/…: the training view's files of the --run folder. */
function runFile(ctx: ServerContext, res: http.ServerResponse, pathname: string) {
  if (!ctx.runDir) return json(res, 404, { error: 'no training run' });
  const r = resolveInside(ctx.runDir, pathname.slice('/run/'.length));
  if (!r.ok) return json(res, r.status, { error: r.status === 403 ? 'forbidden path' : 'not found' });
  if (!RUN_FILES.has(r.rel)) return json(res, 404, { error: 'not found' });
  return sendFile(res, r.file);
}

/** GET /models/<name>/…: a served model's files, its encoder's under encoder/. */
function modelFile(ctx: ServerContext, res: http.ServerResponse, pathname: string) {
  const rest = pathname.slice('/models/'.length);
  const slash = rest.indexOf('/');
  const name = decodeURIComponentSafe(slash >= 0 ? rest.slice(0, slash) : rest);
  const model = ctx.models.find((m) => m.name === name);
  if (!model || slash < 0) return json(res, 404, { error: `unknown model '${name ?? ''}'` });
  // encoder/* is the encoder the searches start from (serve --encoder's folder, or MODEL/encoder/
  // when it was accepted), wherever it is; with none, none is served.
  // (The first segment decoded: '%65ncoder/…' is encoder/ too.)
  const rel = rest.slice(slash + 1);
  const cut = rel.indexOf('/');
  const inEncoder = cut > 0 && decodeURIComponentSafe(rel.slice(0, cut)) === 'encoder';
  let r: ReturnType<typeof resolveInside>;
  if (inEncoder) {
    if (!model.encoder) return json(res, 404, { error: `model '${name}' has no encoder` });
    r = resolveInside(model.encoder.dir, rel.slice(cut + 1));
  } else r = resolveInside(model.dir, rel);
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
      ctx.log(`cannot read ${r.file}: ${(e as Error).message}`);
      return json(res, 500, { error: 'internal error' });
    }
    return json(res, 200, publicManifest(raw as Record<string, unknown>));
  }
  return sendFile(res, r.file);
}

/** GET /…: the page. `/` is index.html; hashed assets may be cached for long. */
function pageFile(ctx: ServerContext, res: http.ServerResponse, pathname: string) {
  const rel = pathname === '/' ? 'index.html' : pathname.slice(1);
  if (!fs.existsSync(path.join(ctx.webRoot, 'index.html'))) {
    return json(res, 503, {
      error: `the web page is not built (no ${path.join(ctx.webRoot, 'index.html')}): run \`npm run build:web\``,
    });
  }
  const r = resolveInside(ctx.webRoot, rel);
  if (!r.ok) return json(res, r.status, { error: r.status === 403 ? 'forbidden path' : 'not found' });
  return sendFile(res, r.file, r.rel.startsWith('assets/') ? 86400 : 0);
}

const is = (p: string) => (pathname: string) => pathname === p;
const under = (p: string) => (pathname: string) => pathname.startsWith(p);

/** A route that answers GET and HEAD only (others: 405), its request body ignored. */
function get(name: string, match: (pathname: string) => boolean, handle: Route['handle']): Route {
  return {
    name: `GET ${name}`,
    match,
    handle(ctx, req, res, pathname) {
      const method = req.method ?? 'GET';
      if (method !== 'GET' && method !== 'HEAD')
        return json(res, 405, { error: `method ${method} not allowed on ${pathname}` }, { Allow: 'GET' });
      req.resume();
      return handle(ctx, req, res, pathname);
    },
  };
}

/** Tried in order; the page (last) matches every path. */
export const ROUTES: readonly Route[] = [
  { name: 'POST /api/inpaint', match: is('/api/inpaint'), handle: (ctx, req, res) => inpaintRoute(ctx, req, res) },
  get('/healthz', is('/healthz'), (ctx, _req, res) =>
    json(res, 200, { ok: true, jobs: ctx.queue.stats, tensors: ctx.pool.tensors() }),
  ),
  get('/api/models', is('/api/models'), (ctx, _req, res) => json(res, 200, ctx.models.map(modelInfo))),
  get('/api/config', is('/api/config'), (ctx, _req, res) => json(res, 200, serverConfig(ctx))),
  get('/api/run', is('/api/run'), (ctx, _req, res) =>
    ctx.runDir
      ? json(res, 200, runInfo(ctx.runDir))
      : json(res, 404, { error: 'no training run: start the server with --run DIR' }),
  ),
  get('/run/…', under('/run/'), (ctx, _req, res, p) => runFile(ctx, res, p)),
  get('/models/…', under('/models/'), (ctx, _req, res, p) => modelFile(ctx, res, p)),
  get(
    '/… (the page)',
    () => true,
    (ctx, _req, res, p) => pageFile(ctx, res, p),
  ),
];
