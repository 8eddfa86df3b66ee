/**
 * The tuning images: where settings of the search are chosen (tools/refine_sweep.ts,
 * tools/joint_tune.ts), neither training images nor the images eval reports. Node only (datasets).
 * - fashion-mnist: test images outside eval's 1,000 (the complement of selectEvalIndices(10000, 1000, 0));
 * - anything else (emoji): OpenMoji's drawings of the held-out test emoji (`emoji-openmoji` test): the
 *   shipped emoji model never saw OpenMoji, and eval reports `emoji-permissive` test images.
 */
import { loadDataset } from '../data/load_node.js';
import { toImageBatch } from '../data/dataset.js';
import { selectEvalIndices } from '../data/split.js';
import type { ImageBatch } from '../types.js';

/** The first `n` tuning images of a model's kind, at its size and channels. */
export async function tuningImages(model: string, n: number, size: number, channels: 1 | 3): Promise<ImageBatch> {
  if (model === 'fashion-mnist') {
    const ds = await loadDataset({ data: 'fashion-mnist', size, channels, split: 'test' });
    const evald = new Set(selectEvalIndices(ds.n, 1000, 0));
    const rest = Array.from({ length: ds.n }, (_, i) => i)
      .filter((i) => !evald.has(i))
      .slice(0, n);
    return toImageBatch(ds, rest);
  }
  const ds = await loadDataset({ data: 'emoji-openmoji', size, channels, split: 'test' });
  return toImageBatch(
    ds,
    Array.from({ length: Math.min(n, ds.n) }, (_, i) => i),
  );
}
