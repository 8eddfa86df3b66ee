/**
 * The import structure of compiled modules: which file imports which at load time, the folders that
 * follows from, and the circles in both. Platform-neutral (text in, graph out); the Node reader is
 * `tools/import_graph.ts` and the test that keeps the layering is `src/layers.test.ts`.
 *
 * Read the compiled `.js`, not the `.ts`: `import type` and type-only names are erased there, so only
 * imports that run when a module loads count (a type can point anywhere without a load-order circle).
 */

/** file (path relative to the root, `a/b.js`) → the files it imports (same form). */
export type FileGraph = Map<string, Set<string>>;

export interface ImportGraph {
  readonly files: FileGraph;
  /** first path segment ('inpaint'; a top-level file is its own, 'core') → the folders its files import. */
  readonly folders: FileGraph;
}

// `import … from './x.js'`, `export … from './x.js'`, `import './x.js'` and `import('./x.js')` with a
// relative specifier; package imports ('@tensorflow/tfjs', 'node:fs') are outside the graph.
const IMPORT_RE = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

/** The relative specifiers a module's text imports, in order of appearance, without repeats. */
export function relativeImports(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(IMPORT_RE)) if (m[1]) out.add(m[1]);
  return [...out];
}

/** The folder a root-relative path belongs to: its first segment. */
export function folderOf(path: string): string {
  return path.split('/')[0] ?? path;
}

/**
 * Builds the file and folder graphs. `resolve(from, spec)` turns a specifier into a root-relative
 * path; imports that resolve outside the given files (another root, a test helper) are dropped.
 */
export function importGraph(
  modules: readonly { path: string; text: string }[],
  resolve: (from: string, spec: string) => string,
): ImportGraph {
  const known = new Set(modules.map((m) => m.path));
  const files: FileGraph = new Map();
  const folders: FileGraph = new Map();
  for (const m of modules) {
    const tos = new Set<string>();
    for (const spec of relativeImports(m.text)) {
      const to = resolve(m.path, spec);
      if (known.has(to) && to !== m.path) tos.add(to);
    }
    files.set(m.path, tos);
    const a = folderOf(m.path);
    const fa = folders.get(a) ?? new Set<string>();
    for (const to of tos) if (folderOf(to) !== a) fa.add(folderOf(to));
    folders.set(a, fa);
  }
  return { files, folders };
}

/**
 * The circles of a graph: its strongly connected components of more than one node (Tarjan), each
 * sorted, the list sorted by first member so the output is stable.
 */
export function strongComponents(graph: FileGraph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  // Iterative, so a long import chain cannot overflow the call stack.
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work: { node: string; it: Iterator<string> }[] = [];
    const enter = (node: string) => {
      index.set(node, next);
      low.set(node, next);
      next++;
      stack.push(node);
      onStack.add(node);
      work.push({ node, it: (graph.get(node) ?? new Set<string>()).values() });
    };
    enter(start);
    while (work.length > 0) {
      const top = work[work.length - 1];
      if (!top) break;
      const step = top.it.next();
      if (!step.done) {
        const w = step.value;
        if (!index.has(w)) enter(w);
        else if (onStack.has(w)) low.set(top.node, Math.min(low.get(top.node) ?? 0, index.get(w) ?? 0));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node) ?? 0, low.get(top.node) ?? 0));
      if (low.get(top.node) === index.get(top.node)) {
        const comp: string[] = [];
        let w: string | undefined;
        do {
          w = stack.pop();
          if (w === undefined) break;
          onStack.delete(w);
          comp.push(w);
        } while (w !== top.node);
        if (comp.length > 1) out.push(comp.sort());
      }
    }
  }
  return out.sort((x, y) => (x[0] ?? '').localeCompare(y[0] ?? ''));
}

/** The file imports that close a folder circle: an edge between two different folders of `circle`. */
export function edgesWithin(files: FileGraph, circle: readonly string[]): [string, string][] {
  const inside = new Set(circle);
  const out: [string, string][] = [];
  for (const [from, tos] of files) {
    const a = folderOf(from);
    if (!inside.has(a)) continue;
    for (const to of tos) if (folderOf(to) !== a && inside.has(folderOf(to))) out.push([from, to]);
  }
  return out;
}
