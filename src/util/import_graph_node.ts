/**
 * Reads a tree into an import graph (`import_graph.ts`). Node only. Two readings:
 * - the sources (`src`, `.ts`): every import, `import type` included — what a reader follows and what
 *   a folder's layering is about (a type that points back up is still a back-import);
 * - the compiled tree (`dist/src`, `.js`): only the imports that run at load time.
 * Paths are root-relative without their suffix (`inpaint/search`), so both readings compare.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { type ImportGraph, importGraph } from './import_graph.js';

function moduleFiles(dir: string, ext: '.ts' | '.js'): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...moduleFiles(p, ext));
    else if (e.name.endsWith(ext) && !e.name.endsWith(`.test${ext}`) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const stripExt = (p: string) => p.replace(/\.(?:ts|js)$/, '');

/**
 * The import graph of every module under `root` (`.ts` sources, or `.js` when `compiled`), tests and
 * `testing/` (fixtures) left out.
 */
export function readImportGraph(root: string, opts: { compiled?: boolean } = {}): ImportGraph {
  const rel = (p: string) => stripExt(relative(root, p).split(sep).join('/'));
  const files = moduleFiles(root, opts.compiled ? '.js' : '.ts').filter((f) => !rel(f).startsWith('testing/'));
  return importGraph(
    files.map((f) => ({ path: rel(f), text: readFileSync(f, 'utf8') })),
    (from, spec) => rel(resolve(root, dirname(from), spec)),
  );
}
