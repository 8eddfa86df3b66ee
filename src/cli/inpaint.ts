/** `wgan-inpaint inpaint`: fill the holes of images with a trained WGAN. */
import fs from 'node:fs';
import path from 'node:path';
import { str, type Command, type Values, numOpt } from './command.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { initBackend } from '../backends/index.js';
import { decodeImage, readImageHeader, readMask, DEFAULT_MAX_PIXELS } from '../io/image.js';
import { writeFileAtomic, WriteError, describeFsError } from '../io/atomic.js';
import { inpaintOutputFiles, writeOutputDir } from '../io/outputs.js';
import { listImageFiles } from '../data/load_node.js';
import { makeMask, MASK_KINDS } from '../masks/masks.js';
import { inpaintImages } from '../inpaint/inpaint.js';
import { INPAINT_OPTION_FLAGS, INPAINT_OPTION_HELP, inpaintOptionsFrom } from './inpaint_options.js';
import { attachEncoder } from '../encoder/checkpoint.js';
import { ProgressBar, fmtDuration } from './progress.js';
import { UserError } from '../util/errors.js';
import type { ImageBatch, Mask } from '../types.js';

const help = `usage: wgan-inpaint inpaint --model RUN_DIR|CHECKPOINT|NAME --input FILE|DIR --mask KIND|mask.png --out DIR [options]

Fill the unknown part of images by searching the generator's latent z (Yeh et al. 2017) under a
contextual loss (known pixels, weighted by closeness to the hole) plus λ × a prior loss (−critic score),
then paste G(ẑ) into the hole and Poisson-blend it.

  --model REF          a run folder (newest intact checkpoint), a checkpoint folder, or a shipped model
                       name (fashion-mnist, emoji)
  --input FILE|DIR     an image, or a folder of images (PNG/JPEG/WebP/GIF, recursive; links are
                       followed, but a folder reached twice, e.g. through a link cycle, is read once)
  --mask KIND|FILE     a mask kind (${MASK_KINDS.join(', ')}) made at each image's size
                       (seeded by --seed + image index), or a PNG: dark (< 50 % brightness) or
                       transparent = unknown;
                       resized (nearest) to each image
  --out DIR            one sub-folder per image (input, mask, masked, raw = G(ẑ), composite, blended,
                       side_by_side[, progress.gif]) and summary.json; checked before any work (it must
                       be a writable folder or creatable); on a failed write nothing is left, or
                       summary.json lists what was written
${INPAINT_OPTION_HELP}
  --encoder DIR        the encoder for --init auto|encoder: an encoder folder or a train-encoder run
                       (refused unless trained for this model's generator) [default: MODEL/encoder/]
  --max-pixels N       refuse images (and mask files) of more pixels than N, read from the file's header
                       before decoding (memory: ≈ 6 copies × 4 bytes × channels per pixel)
                       [default: ${DEFAULT_MAX_PIXELS}]
  --backend KIND       auto | native | wasm | cpu | tensorflow [default: auto]

Images of another size than the model's are completed at the model's size and the fill is resized back
and pasted into the original-resolution hole (known pixels are never changed); the Poisson blend is
solved on the hole's bounding box only. Images are converted to the model's channels (RGB → grey by
luminance for a grey model; grey → RGB by replication). An image whose search loss becomes NaN or
infinite is reported and not written; the others are.

example
  wgan-inpaint inpaint --model fashion-mnist --input shirt.png --mask center --out out/`;

/** Check `--out` before any work: an existing folder we can write into, or a path we can create. */
function checkOut(out: string): void {
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(out);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new UserError(`cannot use --out '${out}': ${describeFsError(e)}`);
  }
  if (st && !st.isDirectory()) throw new UserError(`--out '${out}' is a file, not a folder`);
  // The nearest existing ancestor must be a folder.
  let p = path.resolve(out);
  while (!fs.existsSync(p)) p = path.dirname(p);
  if (!fs.statSync(p).isDirectory()) throw new UserError(`cannot create --out '${out}': '${p}' is a file, not a folder`);
  // Writable? Create what is missing, write a probe, and take it all away again.
  const created: string[] = [];
  const probe = path.join(out, `.wgan-inpaint-probe-${process.pid}`);
  try {
    for (let d = path.resolve(out); !fs.existsSync(d); d = path.dirname(d)) created.unshift(d);
    for (const d of created) fs.mkdirSync(d);
    fs.writeFileSync(probe, '');
  } catch (e) {
    throw new UserError(`cannot write to --out '${out}': ${describeFsError(e)}`);
  } finally {
    fs.rmSync(probe, { force: true });
    for (const d of created.reverse()) fs.rmSync(d, { recursive: true, force: true });
  }
}

export const inpaintCommand: Command = {
  name: 'inpaint',
  summary: 'fill masked regions of images with a trained model',
  help,
  options: {
    model: { type: 'string' }, input: { type: 'string' }, mask: { type: 'string' }, out: { type: 'string' },
    ...INPAINT_OPTION_FLAGS,
    'max-pixels': { type: 'string' }, backend: { type: 'string' }, encoder: { type: 'string' },
  },
  async run(v: Values): Promise<number> {
    for (const k of ['model', 'input', 'mask', 'out']) if (!str(v, k)) throw new UserError(`inpaint: --${k} is required`);
    // Validated now; resolved again once the model's encoder is known (iterations and restarts default per start).
    let o = inpaintOptionsFrom(v);
    const maxPixels = numOpt(v, 'max-pixels', { int: true, min: 1, def: DEFAULT_MAX_PIXELS });

    // Validate every input and the output location before computing or writing anything: no
    // partial outputs on bad input.
    const input = str(v, 'input')!, maskArg = str(v, 'mask')!, out = str(v, 'out')!;
    let files: string[];
    if (!fs.existsSync(input)) throw new UserError(`input '${input}' does not exist`);
    if (fs.statSync(input).isDirectory()) {
      files = listImageFiles(input).map((r) => path.join(input, r));
      if (!files.length) throw new UserError(`input folder '${input}' has no images`);
    } else files = [input];
    const isKind = MASK_KINDS.includes(maskArg);
    if (!isKind && !fs.existsSync(maskArg)) throw new UserError(`--mask '${maskArg}' is neither a mask kind (${MASK_KINDS.join(', ')}) nor an existing file`);
    checkOut(out);
    const names = uniqueNames(files);
    for (const n of [...names, 'summary.json']) {
      const p = path.join(out, n), want = n === 'summary.json' ? 'file' : 'folder';
      if (fs.existsSync(p) && fs.statSync(p).isDirectory() !== (want === 'folder')) throw new UserError(`cannot write '${p}': a ${want === 'folder' ? 'file' : 'folder'} of that name is in the way`);
    }
    // Every header (size against --max-pixels, empty files, corrupt headers) before the first decode.
    const bytes: Buffer[] = [];
    for (const f of files) {
      try {
        bytes.push(fs.readFileSync(f));
      } catch (e) {
        throw new UserError(`cannot read image '${f}': ${describeFsError(e)}`);
      }
    }
    const headers = await Promise.all(files.map((f, i) => readImageHeader(bytes[i]!, `'${f}'`, { maxPixels })));

    const bar = new ProgressBar();
    const backend = await initBackend(str(v, 'backend') ?? 'auto', (m) => bar.log(`notice: ${m}`));
    const ck = await loadCheckpoint(str(v, 'model')!, (m) => bar.log(`notice: ${m}`));
    const c = ck.manifest.config;
    bar.log(`backend: ${backend}; model ${ck.dir} (${c.size}×${c.size}×${c.channels}, step ${ck.manifest.step}, ${c.loss})`);
    // The start: one notice line either way; the iterations and restarts default per start.
    const r0 = await attachEncoder(ck, o.init, str(v, 'encoder'), str(v, 'model')!);
    bar.log(`notice: ${r0.notice}`);
    o = inpaintOptionsFrom(v, 'inpaint', !!r0.model.encoder);

    const images: ImageBatch[] = [];
    const masks: Mask[] = [];
    for (const [i, f] of files.entries()) {
      const im = await decodeImage(bytes[i]!, { channels: c.channels, maxPixels }, `'${f}'`);
      bytes[i] = Buffer.alloc(0); // the decoded copy is all we need from here on
      if (headers[i]!.colour !== (c.channels === 3)) bar.log(`notice: '${f}' converted to the model's ${c.channels === 1 ? 'grey' : 'RGB'}`);
      const m = isKind ? makeMask(maskArg, im.height, im.width, { seed: o.seed + i }) : await readMask(maskArg, im.height, im.width, maxPixels);
      images.push(im);
      masks.push(m);
    }

    const t0 = Date.now();
    const results = await inpaintImages(r0.model, images, masks, o, {
      onProgress: (p) => bar.update(p.iter, p.iters, ((Date.now() - t0) / 1000 / Math.max(1, p.iter)) * (p.iters - p.iter), `contextual ${p.contextual.toFixed(3)}  prior ${p.prior.toFixed(3)}`),
    });
    const seconds = (Date.now() - t0) / 1000;
    const failed = results.flatMap((r, i) => (r.error ? [i] : []));
    if (failed.length === results.length) {
      const i = failed[0]!;
      throw new UserError(`'${files[i]}': ${results[i]!.error}${failed.length > 1 ? ` (and the ${failed.length - 1} other image(s) too)` : ''}`);
    }

    // The highest folder of --out this run will create (removed again if nothing is kept).
    let created: string | null = null;
    for (let p = path.resolve(out); !fs.existsSync(p); p = path.dirname(p)) created = p;
    const summary: Record<string, unknown>[] = [];
    const written: string[] = [];
    const summaryJson = () => JSON.stringify({ model: ck.dir, backend, start: r0.start, ...(r0.encoderDir ? { encoder: r0.encoderDir } : {}), options: o, seconds, secondsPerImage: seconds / files.length, images: summary }, null, 2) + '\n';
    try {
      for (const [i, r] of results.entries()) {
        if (r.error) {
          bar.log(`error: '${files[i]}': ${r.error}; not written`);
          summary.push({ input: files[i], error: r.error });
          continue;
        }
        if (r.notice === 'no-hole') bar.log(`notice: '${files[i]}': the mask has no unknown pixel; the image is returned unchanged`);
        if (r.notice === 'no-known') bar.log(`warning: '${files[i]}': the mask has no known pixel; this is pure generation`);
        // The same files, byte for byte, as `batch` writes (src/io/outputs.ts).
        await writeOutputDir(path.join(out, names[i]!), await inpaintOutputFiles(images[i]!, masks[i]!, r));
        written.push(names[i]!);
        summary.push({ input: files[i], output: names[i], ...(r.losses ?? {}), resized: r.resized, ...(r.notice ? { notice: r.notice } : {}) });
      }
      writeFileAtomic(path.join(out, 'summary.json'), summaryJson());
    } catch (e) {
      if (!(e instanceof WriteError)) throw e;
      // summary.json in every outcome that leaves images, or nothing at all.
      let kept = false;
      if (written.length) {
        try {
          summary.push({ error: e.message });
          writeFileAtomic(path.join(out, 'summary.json'), summaryJson());
          kept = true;
        } catch {
          /* the disk is still full: remove what this run wrote */
        }
      }
      if (!kept) {
        for (const n of written) fs.rmSync(path.join(out, n), { recursive: true, force: true });
        if (created) fs.rmSync(created, { recursive: true, force: true });
      }
      throw new UserError(`${e.message}; ${kept ? `summary.json lists the ${written.length} image(s) written before` : written.length ? `removed the ${written.length} image folder(s) this run wrote` : 'nothing was written'}`);
    }
    bar.log(`inpainted ${files.length - failed.length} image(s) in ${fmtDuration(seconds)} → ${out}/ (side_by_side.png: input | masked | G(ẑ) | composite | blended)`);
    if (failed.length) throw new UserError(`${failed.length} of ${files.length} images failed (listed in ${path.join(out, 'summary.json')})`);
    return 0;
  },
};

/**
 * Output folder names from input file names, made unique; never `summary.json` (the summary's own
 * name) nor a hidden name.
 */
function uniqueNames(files: string[]): string[] {
  const used = new Set<string>(['summary.json']);
  return files.map((f) => {
    const base = path.basename(f).replace(/\.[^.]+$/, '').replace(/[^\w.-]+/g, '_').replace(/^\.+/, '') || 'image';
    let name = base;
    for (let k = 1; used.has(name); k++) name = `${base}_${k}`;
    used.add(name);
    return name;
  });
}
