import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as lib from './index.js';

test('the library entry exports the documented API', () => {
  for (const name of [
    'initBackend',
    'train',
    'loadCheckpoint',
    'sample',
    'inpaint',
    'makeMask',
    'poissonBlend',
    'psnr',
    'ssim',
    'BASELINES',
    'runClaims',
    'spearman',
    'modesCovered',
    'buildMlpGenerator',
    'ganDiscriminatorLoss',
  ]) {
    assert.equal(
      typeof (lib as Record<string, unknown>)[name] === 'function' ||
        typeof (lib as Record<string, unknown>)[name] === 'object',
      true,
      name,
    );
  }
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
