/**
 * The import structure of the compiled library: circles between files and between folders.
 *
 *   node dist/tools/import_graph.js [--dir src] [--compiled] [--list]
 *
 * Reads the sources (every import, `import type` included; `--compiled --dir dist/src` reads the
 * compiled `.js`, where only the imports that run at load time are left) and prints each circle of files (a strongly connected component of more than one
 * file) and each circle of folders under src/ (folder A imports B and B imports A, directly or
 * through others) with the file imports that close it: a folder circle is an import that runs back
 * up. Exit status 1 when there is a circle. Tests and test fixtures are left out. The test that keeps
 * the layering is src/layers.test.ts.
 */
import { resolve } from 'node:path';
import { edgesWithin, strongComponents } from '../src/util/import_graph.js';
import { readImportGraph } from '../src/util/import_graph_node.js';

const args = process.argv.slice(2);
const dirAt = args.indexOf('--dir');
const compiled = args.includes('--compiled');
const root = resolve(dirAt >= 0 ? (args[dirAt + 1] ?? 'src') : compiled ? 'dist/src' : 'src');

const graph = readImportGraph(root, { compiled });
const fileCircles = strongComponents(graph.files);
const folderCircles = strongComponents(graph.folders);
console.log(`${graph.files.size} files, ${[...graph.files.values()].reduce((s, t) => s + t.size, 0)} imports`);
console.log(`file circles: ${fileCircles.length}`);
for (const c of fileCircles) console.log(`  ${c.join(' ↔ ')}`);
console.log(`folder circles: ${folderCircles.length}`);
for (const c of folderCircles) {
  console.log(`  ${c.join(' ↔ ')}`);
  for (const [from, to] of edgesWithin(graph.files, c)) console.log(`    ${from} → ${to}`);
}
if (args.includes('--list')) for (const [from, tos] of graph.files) console.log(`${from}: ${[...tos].join(' ')}`);
process.exitCode = fileCircles.length + folderCircles.length > 0 ? 1 : 0;
