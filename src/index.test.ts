import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as lib from './index.js';

// The public API, pinned: adding or removing a name is a decision (a release note, docs/API.md), not a
// side effect of a refactor. Internals go to src/internal.ts ('wgan-inpaint/internal').
const CORE_VALUES = [
  'BASELINES',
  'DEFAULT_INPAINT',
  'DEFAULT_MASK_CONVENTION',
  'FIT_MODES',
  'INIT_DEFAULTS',
  'INIT_KINDS',
  'INPAINT_BOUNDS',
  'InpaintOptionsSchema',
  'LOSS_KINDS',
  'MASK_CONVENTIONS',
  'MASK_KINDS',
  'MODEL_REGISTRY',
  'UserError',
  'VERSION',
  'applyMask',
  'buildModels',
  'composite',
  'defaultConfig',
  'disposeModel',
  'encode',
  'encoderFill',
  'encoderStart',
  'finishFill',
  'fitBack',
  'fitToModel',
  'frechetDistance',
  'generate',
  'holeFraction',
  'holeRegions',
  'imageAt',
  'imageSize',
  'inpaint',
  'inpaintImages',
  'invertMask',
  'l1',
  'latentSearch',
  'makeMask',
  'maskFromPixels',
  'mse',
  'poissonBlend',
  'psnr',
  'resizeBilinear',
  'resolveConfig',
  'resolveInpaintOptions',
  'sample',
  'sampleZ',
  'ssim',
  'stackImages',
];
const NODE_VALUES = [
  'BACKEND_KINDS',
  'DATASETS',
  'EvalRunSchema',
  'activeBackend',
  'attachEncoder',
  'decodeImage',
  'encodePng',
  'initBackend',
  'inpaintFiles',
  'installEncoder',
  'installTfjsPatches',
  'listCheckpoints',
  'listShippedModels',
  'loadCheckpoint',
  'loadDataset',
  'loadEncoder',
  'makeGrid',
  'readImage',
  'readManifest',
  'readMask',
  'runClaims',
  'runEval',
  'saveCheckpoint',
  'toImageBatch',
  'train',
  'trainEncoder',
  'writePng',
];

test('the public entries export exactly the pinned names; the internal entry adds the building blocks', async () => {
  const core = await import('./core.js');
  const internal = await import('./internal.js');
  assert.deepEqual(Object.keys(core).sort(), [...CORE_VALUES].sort(), 'wgan-inpaint/core');
  assert.deepEqual(Object.keys(lib).sort(), [...CORE_VALUES, ...NODE_VALUES].sort(), 'wgan-inpaint');
  for (const name of Object.keys(lib))
    assert.equal((internal as Record<string, unknown>)[name], (lib as Record<string, unknown>)[name], name);
  // Internals that used to be public, each still reachable for tests, tools and benchmarks.
  for (const name of ['makeTrainer', 'criticStep', 'answerClaims', 'writePlot', 'RunDir', 'planFit', 'calibrateDomain'])
    assert.equal(typeof (internal as Record<string, unknown>)[name], 'function', name);
  for (const name of ['makeTrainer', 'criticStep', 'answerClaims', 'writePlot'])
    assert.equal(name in lib, false, `${name} is internal`);
  const pkg = JSON.parse(
    fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json'), 'utf8'),
  ) as { exports: Record<string, string> };
  assert.deepEqual(pkg.exports, {
    '.': './dist/src/index.js',
    './core': './dist/src/core.js',
    './internal': './dist/src/internal.js',
  });
});

test('the core entry imports nothing Node-specific (it must run in the browser)', () => {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = fs.readFileSync(file, 'utf8');
    assert.doesNotMatch(src, /from ['"](node:|sharp|fs|path)/, `${path.relative(here, file)} imports Node code`);
    for (const m of src.matchAll(/from ['"](\.[^'"]+)['"]/g)) visit(path.resolve(path.dirname(file), m[1]!));
  };
  visit(path.join(here, 'core.js'));
  assert.ok(seen.size > 15);
});

test('docs/API.md lists exactly the values the library entry exports', () => {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const doc = fs.readFileSync(path.resolve(here, '..', '..', 'docs', 'API.md'), 'utf8');
  const documented = new Set<string>();
  for (const line of doc.split('\n').filter((l) => l.startsWith('- `src/'))) {
    const rest = line.slice(line.indexOf(':') + 1).trim();
    const values = rest.startsWith('types ') ? '' : rest.split('; types ')[0]!;
    for (const m of values.matchAll(/`([^`]+)`/g)) documented.add(m[1]!);
  }
  const exported = new Set(Object.keys(lib));
  assert.deepEqual([...exported].filter((n) => !documented.has(n)).sort(), [], 'exported but not in docs/API.md');
  assert.deepEqual([...documented].filter((n) => !exported.has(n)).sort(), [], 'in docs/API.md but not exported');
});
