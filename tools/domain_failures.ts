/**
 * Dev tool: the failure pictures of docs/SEARCH.md's out-of-domain section — the photos the check
 * missed and the held-out test images it flagged (names as `domain_rates --verbose` prints them),
 * at the model's size and channels (what the check sees), upscaled, in one row each.
 *
 *   node dist/tools/domain_failures.js --model emoji --photos /path/HappyFish.jpg --held 15,17,20 --out PNG
 */
import { loadGanCheckpoint } from '../src/train/checkpoint.js';
import { loadDataset } from '../src/data/load_node.js';
import { toImageBatch } from '../src/data/dataset.js';
import { makeGrid, readImage, upscale, writePng } from '../src/io/image.js';
import { imageAt, type ImageBatch } from '../src/types.js';
import { disposeModel } from '../src/models/index.js';
import { toolFlags } from '../bench/common.js';

const f = toolFlags('domain_failures', ['model', 'photos', 'held', 'out']);
if (!f.model || !f.out) throw new Error('domain_failures: --model and --out are required');
const ck = await loadGanCheckpoint(f.model);
const c = ck.manifest.config;
const tiles: ImageBatch[] = [];
for (const p of (f.photos ?? '').split(',').filter(Boolean))
  tiles.push(await readImage(p, { size: c.size, channels: c.channels }));
const held = (f.held ?? '').split(',').filter(Boolean).map(Number);
if (held.length) {
  // The held-out images are test-split indices of the data the check was calibrated on.
  const ds = await loadDataset({
    data: ck.manifest.domain?.data ?? c.data,
    size: c.size,
    channels: c.channels,
    split: 'test',
  });
  const b = toImageBatch(ds, held);
  for (let i = 0; i < held.length; i++) tiles.push(imageAt(b, i));
}
await writePng(f.out, upscale(makeGrid(tiles, tiles.length, 2, c.channels), 3));
disposeModel(ck);
console.log(`domain_failures: ${tiles.length} images → ${f.out}`);
