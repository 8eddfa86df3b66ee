/**
 * Read-only file serving confined to a root folder. The server answers only from its model folders,
 * the run folder and the built web page; every request path goes through `resolveInside`, which
 * refuses anything that could name a file outside the root:
 * - segments are percent-decoded one by one and rejected if they are `.`/`..`, empty (`//x`, an
 *   absolute path after the prefix), or hold `/`, `\` or NUL once decoded (`%2e%2e`, `%2f`, `%5c`);
 * - the result's real path (symlinks resolved) must still lie inside the root's real path.
 */
import fs from 'node:fs';
import path from 'node:path';
import type http from 'node:http';

export const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.jsonl': 'text/plain; charset=utf-8',
};

/** Why a path was refused: `forbidden` (a traversal attempt) or `missing`. */
export type Resolved = { ok: true; file: string; rel: string } | { ok: false; status: 403 | 404 };

/**
 * Map a URL path below a prefix (`rest`, still percent-encoded, e.g. "generator/model.json") to a
 * regular file inside `root`. Never touches the file system outside `root`'s real path.
 */
export function resolveInside(root: string, rest: string): Resolved {
  const segs: string[] = [];
  for (const raw of rest.split('/')) {
    let s: string;
    try {
      s = decodeURIComponent(raw);
    } catch {
      return { ok: false, status: 403 };
    }
    if (s === '' || s === '.' || s === '..' || /[/\\\0]/.test(s)) return { ok: false, status: 403 };
    segs.push(s);
  }
  if (segs.length === 0) return { ok: false, status: 404 };
  let realRoot: string;
  try {
    realRoot = fs.realpathSync(root);
  } catch {
    return { ok: false, status: 404 };
  }
  const candidate = path.join(realRoot, ...segs);
  let real: string;
  try {
    real = fs.realpathSync(candidate);
  } catch {
    return { ok: false, status: 404 };
  }
  // A symlink inside the root that points outside it is refused like a `..`.
  if (!real.startsWith(realRoot + path.sep)) return { ok: false, status: 403 };
  try {
    if (!fs.statSync(real).isFile()) return { ok: false, status: 404 };
  } catch {
    return { ok: false, status: 404 };
  }
  return { ok: true, file: real, rel: segs.join('/') };
}

/** Stream a file with its content type; `cache` seconds of max-age (0 = no-cache). */
export function sendFile(res: http.ServerResponse, file: string, cache = 0): void {
  const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch {
    res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'not found' }));
    return;
  }
  res.writeHead(200, {
    'Content-Type': type,
    'Content-Length': size,
    'Cache-Control': cache > 0 ? `public, max-age=${cache}` : 'no-cache',
  });
  const s = fs.createReadStream(file);
  s.on('error', () => res.destroy());
  s.pipe(res);
}
