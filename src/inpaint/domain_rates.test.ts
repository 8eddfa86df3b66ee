/**
 * The out-of-domain check of the shipped models, measured (issue #31.4): natural photos into either
 * model are flagged, held-out in-domain images are not. A smaller version of tools/domain_rates.ts
 * (README.md has the full one's rates): 10 photographs from scikit-image's and OpenCV's sample images
 * (Debian python3-skimage and opencv-doc; the test fails when they are missing) and the report's 200
 * test images outside the calibration's and eval's (and outside tools/domain_tune.ts's validation
 * slice), each completed with the model's default search as `inpaint` does.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { initBackend } from '../backends/index.js';
import { loadCheckpoint } from '../encoder/checkpoint.js';
import { attachEncoder } from '../encoder/checkpoint.js';
import { PHOTOS, domainFlags, heldOutImages } from './domain_measure_node.js';

/** Every third photograph of the list (a spread of both sources, not a choice of the easy ones), the first 10. */
const SET = PHOTOS.filter((_, i) => i % 3 === 0).slice(0, 10);

before(async () => {
  await initBackend('native');
});

/** Photos that must be flagged, of 10: #31.4 asks for ≥ 90 % into either model. */
const MIN_PHOTOS = 9;
/**
 * Held-out test images that may be flagged, of 200: #31.4 asks for ≤ 5 %. 200 rather than fewer: the
 * few in-domain images flagged cluster (emoji's first 40 held 4 of its 7 dark ones), so a small slice
 * says little about the rate.
 */
const HELD = 200,
  MAX_HELD = 10;

for (const name of ['fashion-mnist', 'emoji']) {
  test(`${name}: ≥ ${MIN_PHOTOS} of 10 photos flagged, ≤ ${MAX_HELD} of ${HELD} held-out test images`, {
    timeout: 600_000,
  }, async () => {
    const missing = SET.filter((f) => !fs.existsSync(f));
    assert.deepEqual(missing, [], 'install the photos: apt-get install python3-skimage opencv-doc');
    const ck = await loadCheckpoint(name);
    const { model } = await attachEncoder(ck, 'auto', undefined, name);
    const photos = await domainFlags(
      model,
      SET.map((f) => ({ name: path.basename(f), bytes: new Uint8Array(fs.readFileSync(f)) })),
    );
    const held = await domainFlags(model, await heldOutImages(ck.manifest, HELD));
    const missed = photos.filter((p) => !p.unlike),
      flagged = held.filter((h) => h.unlike);
    assert.ok(
      photos.length - missed.length >= MIN_PHOTOS,
      `photos not flagged: ${missed.map((p) => `${p.name} (${p.why})`).join('; ')}`,
    );
    assert.ok(
      flagged.length <= MAX_HELD,
      `held-out images flagged: ${flagged.map((h) => `${h.name} (${h.why})`).join('; ')}`,
    );
    ck.generator.dispose();
    ck.critic.dispose();
    model.encoder?.dispose();
  });
}
