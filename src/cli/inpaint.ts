/** `wgan-inpaint inpaint`: fill the holes of images with a trained WGAN. */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { str, type Command, type Values } from './command.js';
import { INPAINT_OPTION_FLAGS, INPAINT_OPTION_HELP, inpaintOptionsFrom } from './inpaint_options.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { initBackend } from '../backends/index.js';
import { readImage, readMask } from '../io/image.js';
import { writeFileAtomic } from '../io/atomic.js';
import { inpaintOutputFiles, writeOutputDir } from '../io/outputs.js';
import { listImageFiles } from '../data/load_node.js';
import { makeMask, MASK_KINDS } from '../masks/masks.js';
import { inpaintImages } from '../inpaint/fit.js';
import { ProgressBar, fmtDuration } from './progress.js';
import { UserError } from '../util/errors.js';
import type { ImageBatch, Mask } from '../types.js';

const help = `usage: wgan-inpaint inpaint --model RUN_DIR|CHECKPOINT|NAME --input FILE|DIR --mask KIND|mask.png --out DIR [options]

Fill the unknown part of images by searching the generator's latent z (Yeh et al. 2017) under a
contextual loss (known pixels, weighted by closeness to the hole) plus λ × a prior loss (−critic score),
then paste G(ẑ) into the hole and Poisson-blend it.

  --model REF          a run folder (newest checkpoint), a checkpoint folder, or a shipped model name
                       (fashion-mnist, emoji)
  --input FILE|DIR     an image, or a folder of images (PNG/JPEG/WebP, recursive)
  --mask KIND|FILE     a mask kind (${MASK_KINDS.join(', ')}) made at each image's size
                       (seeded by --seed + image index), or a PNG: dark (< 50 % brightness) or
                       transparent = unknown;
                       resized (nearest) to each image
  --out DIR            one sub-folder per image (input, mask, masked, raw = G(ẑ), composite, blended,
                       side_by_side[, progress.gif]) and summary.json
${INPAINT_OPTION_HELP}
  --backend KIND       auto | native | wasm | cpu | tensorflow [default: auto]

Images of another size than the model's are completed at the model's size and the fill is resized back
and pasted into the original-resolution hole (known pixels are never changed). Images are converted to
the model's channels (RGB → grey by luminance for a grey model; grey → RGB by replication).

example
  wgan-inpaint inpaint --model fashion-mnist --input shirt.png --mask center --out out/`;


export const inpaintCommand: Command = {
  name: 'inpaint',
  summary: 'fill masked regions of images with a trained model',
  help,
  options: {
    model: { type: 'string' }, input: { type: 'string' }, mask: { type: 'string' }, out: { type: 'string' },
    ...INPAINT_OPTION_FLAGS,
    backend: { type: 'string' },
  },
  async run(v: Values): Promise<number> {
    for (const k of ['model', 'input', 'mask', 'out']) if (!str(v, k)) throw new UserError(`inpaint: --${k} is required`);
    const o = inpaintOptionsFrom(v);

    // Validate every input before computing or writing anything: no partial outputs on bad input.
    const input = str(v, 'input')!, maskArg = str(v, 'mask')!, out = str(v, 'out')!;
    let files: string[];
    if (!fs.existsSync(input)) throw new UserError(`input '${input}' does not exist`);
    if (fs.statSync(input).isDirectory()) {
      files = listImageFiles(input).map((r) => path.join(input, r));
      if (!files.length) throw new UserError(`input folder '${input}' has no images`);
    } else files = [input];
    const isKind = MASK_KINDS.includes(maskArg);
    if (!isKind && !fs.existsSync(maskArg)) throw new UserError(`--mask '${maskArg}' is neither a mask kind (${MASK_KINDS.join(', ')}) nor an existing file`);

    const bar = new ProgressBar();
    const backend = await initBackend(str(v, 'backend') ?? 'auto', (m) => bar.log(`notice: ${m}`));
    const ck = await loadCheckpoint(str(v, 'model')!);
    const c = ck.manifest.config;
    bar.log(`backend: ${backend}; model ${ck.dir} (${c.size}×${c.size}×${c.channels}, step ${ck.manifest.step}, ${c.loss})`);

    const images: ImageBatch[] = [];
    const masks: Mask[] = [];
    for (const [i, f] of files.entries()) {
      const meta = await sharp(f).metadata().catch(() => null);
      const im = await readImage(f, { channels: c.channels });
      // Colour = 3+ bands in a colour space; grey (with or without alpha) = 1–2 bands or b-w.
      const fileColour = !!meta && (meta.channels ?? 1) >= 3 && meta.space !== 'b-w';
      if (meta && fileColour !== (c.channels === 3)) {
        bar.log(`notice: '${f}' converted to the model's ${c.channels === 1 ? 'grey' : 'RGB'}`);
      }
      const m = isKind ? makeMask(maskArg, im.height, im.width, { seed: o.seed + i }) : await readMask(maskArg, im.height, im.width);
      images.push(im);
      masks.push(m);
    }
    const names = uniqueNames(files);

    const t0 = Date.now();
    const results = await inpaintImages(ck, images, masks, o, {
      onProgress: (p) => bar.update(p.iter, p.iters, ((Date.now() - t0) / 1000 / Math.max(1, p.iter)) * (p.iters - p.iter), `contextual ${p.contextual.toFixed(3)}  prior ${p.prior.toFixed(3)}`),
    });
    const seconds = (Date.now() - t0) / 1000;

    fs.mkdirSync(out, { recursive: true });
    const summary: Record<string, unknown>[] = [];
    for (const [i, r] of results.entries()) {
      if (r.notice === 'no-hole') bar.log(`notice: '${files[i]}': the mask has no unknown pixel; the image is returned unchanged`);
      if (r.notice === 'no-known') bar.log(`warning: '${files[i]}': the mask has no known pixel; this is pure generation`);
      await writeOutputDir(path.join(out, names[i]!), await inpaintOutputFiles(images[i]!, masks[i]!, r));
      summary.push({ input: files[i], output: names[i], ...(r.losses ?? {}), resized: r.resized, ...(r.notice ? { notice: r.notice } : {}) });
    }
    writeFileAtomic(path.join(out, 'summary.json'), JSON.stringify({ model: ck.dir, backend, options: o, seconds, secondsPerImage: seconds / files.length, images: summary }, null, 2) + '\n');
    bar.log(`inpainted ${files.length} image(s) in ${fmtDuration(seconds)} → ${out}/ (side_by_side.png: input | masked | G(ẑ) | composite | blended)`);
    return 0;
  },
};

/** Output folder names from input file names, made unique. */
function uniqueNames(files: string[]): string[] {
  const used = new Set<string>();
  return files.map((f) => {
    const base = path.basename(f).replace(/\.[^.]+$/, '').replace(/[^\w.-]+/g, '_') || 'image';
    let name = base;
    for (let k = 1; used.has(name); k++) name = `${base}_${k}`;
    used.add(name);
    return name;
  });
}


