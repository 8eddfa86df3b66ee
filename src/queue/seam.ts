/**
 * THE seam between the queue and the inpainting library: a chunk of image files + masks + options,
 * run with a model, → per-image output bytes. `batch` in-process, every `worker` and `serve --redis`
 * go through this one function, so the outputs are byte-identical whichever runs them (on the same
 * backend), and a change to the completion pipeline (src/inpaint/, src/io/outputs.ts) reaches the
 * queue here and nowhere else.
 */
import type { ImageBatch, Mask } from '../types.js';
import { resolveFor, type InpaintCallbacks, type InpaintModel } from '../inpaint/search.js';
import { inpaintImages } from '../inpaint/inpaint.js';
import { decodeImage, decodeMask } from '../io/image.js';
import { inpaintOutputFiles } from '../io/outputs.js';
import { makeMask, resizeMaskKeepHoles } from '../masks/masks.js';
import { UserError } from '../util/errors.js';
import type { MaskConvention } from '../masks/convention.js';
import { b64, unb64, type ChunkItem, type ChunkJob, type ItemResult } from './protocol.js';
import { definedKeys } from '../util/defined.js';

/** Decode an item's image (to the model's channels) and make or decode its mask at the image's size. */
async function decodeItem(
  item: ChunkItem,
  channels: 1 | 3,
  convention: MaskConvention,
): Promise<{ image: ImageBatch; mask: Mask }> {
  const image = await decodeImage(unb64(item.image), { channels }, `'${item.name}'`);
  const mask =
    'kind' in item.mask
      ? makeMask(item.mask.kind, image.height, image.width, { seed: item.mask.seed })
      : await decodeMask(unb64(item.mask.png), `mask of '${item.name}'`, { convention });
  // A mask file of another size: brought to the image's keeping every hole, as `inpaint` and the API do.
  return {
    image,
    mask:
      mask.height === image.height && mask.width === image.width
        ? mask
        : resizeMaskKeepHoles(mask, image.height, image.width),
  };
}

/**
 * Run one chunk: every decodable image goes through ONE batched search (`inpaintImages`); an image
 * that cannot be decoded fails alone, with its reason. Throws only for faults of the whole chunk.
 */
export async function runChunk(
  model: InpaintModel,
  job: Pick<ChunkJob, 'items' | 'options' | 'maskConvention'>,
  cb: InpaintCallbacks = {},
): Promise<ItemResult[]> {
  const channels = model.generator.outputs[0]!.shape[3] as 1 | 3;
  // The start the search takes with this model (its encoder when it has one and init allows; init
  // 'encoder' without one is a UserError: the whole chunk fails with that line).
  const { start } = resolveFor(model, job.options);
  const results: (ItemResult | null)[] = job.items.map(() => null);
  const ok: { i: number; image: ImageBatch; mask: Mask }[] = [];
  for (const [i, item] of job.items.entries()) {
    try {
      ok.push({ i, ...(await decodeItem(item, channels, job.maskConvention)) });
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      results[i] = { key: item.key, ok: false, error: e.message };
    }
  }
  if (ok.length) {
    const fitted = await inpaintImages(
      model,
      ok.map((x) => x.image),
      ok.map((x) => x.mask),
      job.options,
      cb,
    );
    for (const [j, { i, image, mask }] of ok.entries()) {
      const r = fitted[j]!;
      const files = await inpaintOutputFiles(image, mask, r, job.maskConvention);
      results[i] = {
        key: job.items[i]!.key,
        ok: true,
        files: Object.fromEntries(files.map(([name, bytes]) => [name, b64(bytes)])),
        losses: r.losses,
        resized: r.resized,
        start,
        ...definedKeys({ notice: r.notice, domain: r.domain }),
      };
    }
  }
  return results as ItemResult[];
}
