import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as lib from './index.js';

test('the library entry exports the documented API', () => {
  for (const name of ['initBackend', 'train', 'loadCheckpoint', 'sample', 'inpaint', 'makeMask', 'poissonBlend', 'psnr', 'ssim', 'BASELINES', 'runClaims', 'spearman', 'modesCovered', 'buildMlpGenerator', 'ganDiscriminatorLoss']) {
    assert.equal(typeof (lib as Record<string, unknown>)[name] === 'function' || typeof (lib as Record<string, unknown>)[name] === 'object', true, name);
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
