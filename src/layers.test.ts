/**
 * The layering of src/: no circle of modules and no import that runs back up the layers below, read
 * from the sources (`import type` included). `node dist/tools/import_graph.js` prints the circles.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { folderOf, importGraph, relativeImports, strongComponents } from './util/import_graph.js';
import { readImportGraph } from './util/import_graph_node.js';

// dist/src/layers.test.js → the repository's src/.
const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

/**
 * The folders from the bottom up: a module may import its own folder and the layers below, never a
 * layer above nor another folder of its own layer. docs/ARCHITECTURE.md describes each folder.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['types', 'version', 'util'],
  ['backends'],
  ['masks', 'models', 'losses', 'metrics', 'baselines'],
  ['io'],
  ['data'],
  ['config'],
  ['inpaint'],
  // The HTTP API's wire types and result conversion, shared by server, queue and page.
  ['protocol'],
  ['classifier'],
  ['train'],
  ['encoder'],
  ['eval'],
  ['experiment'],
  ['server'],
  ['queue'],
  ['cli', 'web'],
  ['core'],
  ['index'],
  ['internal'],
];

/** Circles allowed, each with its reason (none since #32.4); any other circle fails. */
const ALLOWED_CIRCLES: string[] = [];

/** Imports allowed to run back up, each with its reason (none since #32.4); any other back-import fails. */
const ALLOWED_BACK_IMPORTS: string[] = [];

function layerOf(folder: string): number {
  const i = LAYERS.findIndex((l) => l.includes(folder));
  assert.ok(i >= 0, `folder '${folder}' is in no layer of src/layers.test.ts`);
  return i;
}

function backImports(files: Map<string, Set<string>>): string[] {
  const out: string[] = [];
  for (const [from, tos] of files) {
    const a = folderOf(from);
    for (const to of tos) {
      const b = folderOf(to);
      if (a !== b && layerOf(b) >= layerOf(a)) out.push(`${from} → ${to}`);
    }
  }
  return out.sort();
}

test('the import graph: specifiers of every form, circles found, back-imports found', () => {
  const text = [
    "import { a } from './a.js';",
    "import type { B } from '../b/b.js';",
    "export { c } from './c.js';",
    "import './side.js';",
    "const d = await import('./d.js');",
    "import fs from 'node:fs';",
  ].join('\n');
  assert.deepEqual(relativeImports(text), ['./a.js', '../b/b.js', './c.js', './side.js', './d.js']);
  const join = (from: string, spec: string) => path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  const g = importGraph(
    [
      { path: 'util/x', text: "import { y } from '../io/y';" },
      { path: 'io/y', text: "import { z } from './z';" },
      { path: 'io/z', text: "import { y } from './y'; import { x } from '../util/x';" },
      { path: 'io/w', text: "import { q } from '../nowhere/q';" },
    ],
    join,
  );
  assert.deepEqual(strongComponents(g.files), [['io/y', 'io/z', 'util/x']]);
  assert.deepEqual(strongComponents(g.folders), [['io', 'util']]);
  assert.deepEqual(backImports(g.files), ['util/x → io/y']);
});

test('src/ has no circle of modules but the allowed ones', () => {
  assert.ok(fs.existsSync(path.join(SRC, 'index.ts')), `sources not found at ${SRC}`);
  const g = readImportGraph(SRC);
  assert.ok(g.files.size > 100, `only ${g.files.size} modules read`);
  const circles = strongComponents(g.files).map((c) => c.join(' ↔ '));
  assert.deepEqual(
    circles.filter((c) => !ALLOWED_CIRCLES.includes(c)),
    [],
    'a circle of imports (node dist/tools/import_graph.js shows them)',
  );
});

test('src/ has no import that runs back up the layers but the allowed ones', () => {
  const back = backImports(readImportGraph(SRC).files);
  assert.deepEqual(
    back.filter((e) => !ALLOWED_BACK_IMPORTS.includes(e)),
    [],
    'an import of a layer above or of another folder of the same layer (LAYERS in src/layers.test.ts)',
  );
});
