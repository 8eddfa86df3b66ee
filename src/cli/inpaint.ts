/** `wgan-inpaint inpaint`: fill the holes of images with a trained WGAN (the work is `inpaintFiles`, src/inpaint/files_node.ts). */
import { shownDir } from '../io/paths.js';
import { z } from 'zod';
import { str, type Command, type Values } from './command.js';
import { commandFlags } from './schema_flags.js';
import { maxBytesField } from './image_flags.js';
import { loadGanCheckpoint } from '../train/checkpoint.js';
import { initBackend } from '../backends/index.js';
import { DEFAULT_MAX_PIXELS, PREVIEW_MAX_FRAMES, PREVIEW_MAX_PIXELS, PREVIEW_MAX_SIDE } from '../io/image.js';
import { MASK_KINDS } from '../masks/masks.js';
import { inpaintFiles, prepareInpaintFiles } from '../inpaint/files_node.js';
import { INPAINT_OPTION_FLAGS, INPAINT_OPTION_HELP, inpaintOptionsGiven } from './inpaint_options.js';
import { attachEncoder } from '../encoder/checkpoint.js';
import { ProgressBar, fmtDuration, logFailed } from './progress.js';
import { UserError } from '../util/errors.js';
import { maskConventionHelp, maskConventionOpt } from './mask_convention.js';

/**
 * The command's own flags (the search options come from the options schema, INPAINT_OPTION_FLAGS, and
 * --mask-convention from its shared helper, as for `batch`). In the order their "required" errors are
 * checked.
 */
const InpaintFlagsSchema = z.object({
  model: z
    .string()
    .describe(
      'a run folder (newest intact checkpoint), a checkpoint folder, or a shipped model name (fashion-mnist, emoji, faces)',
    ),
  input: z
    .string()
    .describe(
      'an image, or a folder of images (PNG/JPEG/WebP/GIF, recursive; links are followed, but a folder reached twice, e.g. through a link cycle, is read once; images inside --out are not read, so --out may be a folder inside it). In a folder, a file that cannot be read or decoded is skipped and named (stderr and summary.json); a single bad file, or a folder of only bad ones, is an error',
    ),
  mask: z
    .string()
    .describe(
      `a mask kind made at each image's size (seeded by --seed + image index): ${MASK_KINDS.join(', ')}; or an image file, read by --mask-convention (default: white = hole, as OpenCV, LaMa, IOPaint and diffusers; transparent = known); one of another size is resized to each image, every hole kept (as the API does). A mask file making more than 60 % of the image a hole gets a warning`,
    ),
  out: z
    .string()
    .describe(
      'one sub-folder per image (input, mask, masked, raw = G(ẑ), composite, blended, side_by_side[, progress.gif]) and summary.json; checked before any work (it must be a writable folder or creatable, and not the input folder nor one holding it); on a failed write nothing is left, or summary.json lists what was written',
    ),
  encoder: z
    .string()
    .optional()
    .describe(
      "the encoder for --init auto|encoder: an encoder folder or a train-encoder run (refused unless trained for this model's generator)",
    ),
  maxPixels: z
    .number()
    .int()
    .min(1)
    .default(DEFAULT_MAX_PIXELS)
    .describe(
      "refuse images (and mask files) of more pixels than N, read from the file's header before decoding (memory: ≈ 6 copies × 4 bytes × channels per pixel)",
    ),
  maxBytes: maxBytesField,
  backend: z.string().default('auto').describe('auto | native | wasm | cpu | tensorflow'),
});
const FLAGS = commandFlags('inpaint', InpaintFlagsSchema);
const VALUES = {
  model: 'REF',
  input: 'FILE|DIR',
  mask: 'KIND|FILE',
  out: 'DIR',
  encoder: 'DIR',
  maxPixels: 'N',
  maxBytes: 'N',
  backend: 'KIND',
};
const DEFAULTS = {
  encoder: 'MODEL/encoder/',
  maxPixels: `${DEFAULT_MAX_PIXELS}; \`serve --max-pixels\` is the same rule, with a lower default there: a server decodes every admitted request for anyone`,
};
const group = (keys: (keyof typeof VALUES)[]) => FLAGS.help({ keys, values: VALUES, defaults: DEFAULTS });

const help = `usage: wgan-inpaint inpaint --model RUN_DIR|CHECKPOINT|NAME --input FILE|DIR --mask KIND|mask.png --out DIR [options]

Fill the unknown part of images by searching the generator's latent z (Yeh et al. 2017) under a
contextual loss (known pixels, weighted by closeness to the hole) plus λ × a prior loss (−critic score),
then paste G(ẑ) into the hole and Poisson-blend it.

${group(['model', 'input', 'mask'])}
${maskConventionHelp('mask files and the written mask.png')}
${group(['out'])}
${INPAINT_OPTION_HELP}
${group(['encoder', 'maxPixels', 'maxBytes', 'backend'])}

Images of another size than the model's are brought to it by --fit: \`whole\` completes the whole
image at the model's size (its aspect ratio kept, the padding unknown) and brings the fill back to
the original resolution; \`crop\` completes a square with context around each hole region (at least
the hole's size of margin, at least the model's size) and pastes each fill into its own hole, so a
large photo with a small hole gets a fill at nearly its own resolution. Known pixels are never
changed; the Poisson blend is solved around each hole only. Images are converted to the model's
channels (RGB → grey by luminance for a grey model; grey → RGB by replication). An image whose
search loss becomes NaN or infinite is reported and not written; the others are. Images and mask
files are decoded as displayed: their EXIF orientation is applied (a phone photo stored sideways is
completed upright, and a mask drawn on it as displayed fits it). Images of any aspect complete at
their own size; the previews are bounded: side_by_side.png at most ${PREVIEW_MAX_SIDE} px a side and
${PREVIEW_MAX_PIXELS / 1e6} MP (shrunk for large or thin images), progress.gif at most ${PREVIEW_MAX_FRAMES} frames.

Exit status: 0 when every image is written, 1 when any failed (named on stderr and in summary.json;
the others are written), 2 on bad input (nothing written).

example
  wgan-inpaint inpaint --model fashion-mnist --input models/fashion-mnist/samples/00-test-0.png --mask center --out out/`;

export const inpaintCommand: Command = {
  name: 'inpaint',
  summary: 'fill masked regions of images with a trained model',
  help,
  options: { ...FLAGS.options, ...INPAINT_OPTION_FLAGS, 'mask-convention': { type: 'string' } },
  async run(v: Values): Promise<number> {
    // An empty value counts as missing, as before the flags came from the schema.
    for (const k of ['model', 'input', 'mask', 'out'])
      if (!str(v, k)) throw new UserError(`inpaint: --${k} is required`);
    const f = FLAGS.parse(v);
    // Every input and the output location are checked before the backend or the model are loaded.
    const plan = await prepareInpaintFiles({
      input: f.input,
      mask: f.mask,
      out: f.out,
      // As given: inpaintFiles resolves them for the model (defaults per start, its encoder or none).
      options: inpaintOptionsGiven(v),
      maxPixels: f.maxPixels,
      maxBytes: f.maxBytes,
      maskConvention: maskConventionOpt(v),
    });
    const bar = new ProgressBar();
    const log = (line: string) => bar.log(line);
    const backend = await initBackend(f.backend, (m) => log(`notice: ${m}`));
    const ck = await loadGanCheckpoint(f.model, { onNotice: (m) => log(`notice: ${m}`) }); // attached below, with --init and --encoder
    const c = ck.manifest.config;
    log(
      `backend: ${backend}; model ${ck.dir} (${c.size}×${c.size}×${c.channels}, step ${ck.manifest.step}, ${c.loss})`,
    );
    // The start: one notice line either way; iterations and restarts not given default per start.
    const start = await attachEncoder(ck, plan.options.init, f.encoder, f.model);
    log(`notice: ${start.notice}`);
    const s = await inpaintFiles(start.model, plan, {
      log,
      modelName: ck.dir,
      backend,
      ...(start.encoderDir ? { encoderDir: start.encoderDir } : {}),
      onProgress: (p) =>
        bar.update(p.iter, p.iters, 'measured', `contextual ${p.contextual.toFixed(3)}  prior ${p.prior.toFixed(3)}`),
    });
    const out = plan.spec.out;
    log(
      `inpainted ${s.written} image(s)${s.failed ? `, ${s.failed} failed` : ''} in ${fmtDuration(s.seconds)} → ${shownDir(out)} (side_by_side.png: input | masked | G(ẑ) | composite | blended)`,
    );
    // As `batch`: the good images are written, the bad ones named here and in summary.json, exit 1.
    logFailed(
      log,
      s.images.flatMap((im) => (im.error ? [{ input: im.input, reason: im.error }] : [])),
    );
    return s.failed ? 1 : 0;
  },
};
