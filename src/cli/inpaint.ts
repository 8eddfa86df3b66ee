/** `wgan-inpaint inpaint`: fill the holes of images with a trained WGAN. */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { str, type Command, type Values, numOpt } from './command.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { initBackend } from '../backends/index.js';
import { readImage, readMask, writePng, makeGrid, upscale, maskToImage, encodeGif } from '../io/image.js';
import { writeDirAtomic, writeFileAtomic } from '../io/atomic.js';
import { listImageFiles } from '../data/load_node.js';
import { makeMask, MASK_KINDS } from '../masks/masks.js';
import { inpaintImages } from '../inpaint/fit.js';
import { DEFAULT_INPAINT, resolveInpaintOptions, type InpaintOptions } from '../inpaint/search.js';
import { INIT_DEFAULTS, INIT_KINDS, chooseInit, encoderStart, type InitKind } from '../encoder/init.js';
import { ENCODER_SUBDIR, loadEncoder, modelEncoderDir, resolveEncoderDir } from '../encoder/checkpoint.js';
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
  --init auto|encoder|random
                       where the search starts: at random z, or at the z an encoder predicts from the
                       masked image (restart 0; the others part-way to random); auto = the encoder
                       when the model has one (MODEL/encoder/ or --encoder) [default: auto]
  --encoder DIR        an encoder folder or train-encoder run (checked against the model's generator)
  --iters N            Adam iterations on z [default: ${INIT_DEFAULTS.random.iters} from random z, ${INIT_DEFAULTS.encoder.iters} from the encoder's]
  --restarts K         restarts per image, the best final loss wins [default: ${INIT_DEFAULTS.random.restarts} from random z, ${INIT_DEFAULTS.encoder.restarts} from the encoder's]
  --lambda X           weight of the prior loss [default: ${DEFAULT_INPAINT.lambda}]
  --lr X               Adam learning rate on z [default: ${DEFAULT_INPAINT.lr}]
  --seed N             [default: 0]
  --blend poisson|none [default: poisson]
  --window N           importance-weight window (odd) [default: ${DEFAULT_INPAINT.window}]
  --progress-every N   also write progress.gif with G(z) every N iterations [default: off]
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
    iters: { type: 'string' }, restarts: { type: 'string' }, lambda: { type: 'string' }, lr: { type: 'string' },
    seed: { type: 'string' }, blend: { type: 'string' }, window: { type: 'string' }, 'progress-every': { type: 'string' },
    backend: { type: 'string' }, init: { type: 'string' }, encoder: { type: 'string' },
  },
  async run(v: Values): Promise<number> {
    for (const k of ['model', 'input', 'mask', 'out']) if (!str(v, k)) throw new UserError(`inpaint: --${k} is required`);
    const opts: Partial<InpaintOptions> = {};
    const set = <K extends keyof InpaintOptions>(k: K, x: InpaintOptions[K] | undefined) => { if (x !== undefined) opts[k] = x; };
    set('iters', numOpt(v, 'iters', { int: true })); set('restarts', numOpt(v, 'restarts', { int: true })); set('lambda', numOpt(v, 'lambda', {}));
    set('lr', numOpt(v, 'lr', {})); set('seed', numOpt(v, 'seed', { int: true })); set('window', numOpt(v, 'window', { int: true }));
    set('progressEvery', numOpt(v, 'progress-every', { int: true })); set('blend', str(v, 'blend') as InpaintOptions['blend'] | undefined);
    let o = resolveInpaintOptions(opts);
    const init = (str(v, 'init') ?? 'auto') as InitKind;
    if (!(INIT_KINDS as readonly string[]).includes(init)) throw new UserError(`--init must be one of ${INIT_KINDS.join(', ')}, got '${init}'`);

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
    // The start: one notice line either way; the iterations and restarts default per start.
    const encRef = str(v, 'encoder');
    const encDir = init === 'random' ? null : encRef ? resolveEncoderDir(encRef) : modelEncoderDir(ck.dir);
    const choice = chooseInit(init, encDir, encRef ?? path.join(ck.dir, ENCODER_SUBDIR), str(v, 'model')!);
    bar.log(`notice: ${choice.notice}`);
    const enc = choice.use === 'encoder' ? await loadEncoder(encDir!, ck.generator, str(v, 'model')!) : null;
    o = resolveInpaintOptions({ ...INIT_DEFAULTS[choice.use], ...opts, ...(enc ? { initZ: encoderStart(enc.encoder) } : {}) });

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
      const im = images[i]!;
      const f = Math.max(1, Math.floor(128 / im.height));
      await writeDirAtomic(path.join(out, names[i]!), async (d) => {
        await writePng(path.join(d, 'input.png'), im);
        await writePng(path.join(d, 'mask.png'), maskToImage(masks[i]!));
        await writePng(path.join(d, 'masked.png'), r.masked);
        await writePng(path.join(d, 'raw.png'), r.raw);
        await writePng(path.join(d, 'composite.png'), r.composite);
        await writePng(path.join(d, 'blended.png'), r.blended);
        await writePng(path.join(d, 'side_by_side.png'), upscale(makeGrid([im, r.masked, r.raw, r.composite, r.blended], 5, 2), f));
        if (r.frames.length) writeFileAtomic(path.join(d, 'progress.gif'), await encodeGif(r.frames.map((fr) => upscale(fr, Math.max(1, Math.floor(128 / fr.height))))));
      });
      summary.push({ input: files[i], output: names[i], ...(r.losses ?? {}), resized: r.resized, ...(r.notice ? { notice: r.notice } : {}) });
    }
    writeFileAtomic(path.join(out, 'summary.json'), JSON.stringify({ model: ck.dir, backend, init: choice.use, ...(enc ? { encoder: enc.dir } : {}), options: o, seconds, secondsPerImage: seconds / files.length, images: summary }, null, 2) + '\n');
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


