/**
 * Inpaint image files into an output folder (Node): what `wgan-inpaint inpaint` does, as a library
 * function (`inpaintFiles`), so a program gets the same checks, outputs and summary as the CLI without
 * copying it.
 *
 *   prepareInpaintFiles (validate everything, read headers; nothing computed or written)
 *     → inpaintFiles (decode, one batched inpaintImages search, one folder per image + summary.json)
 *
 * Every input and the output location are checked before the model is even needed, so bad input
 * costs nothing and leaves nothing. Output folders are written atomically (src/io/outputs.ts); on a
 * failed write either summary.json lists what was written, or everything this call wrote is removed.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  decodeImage,
  decodeMask,
  readImageHeader,
  readInputFile,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_PIXELS,
  type ImageHeader,
} from '../io/image.js';
import { writeFileAtomic, WriteError, describeFsError } from '../io/atomic.js';
import { inpaintOutputFiles, outputNames, writeOutputDir } from '../io/outputs.js';
import { IMAGE_EXTENSIONS, listImageFiles } from '../io/image_files.js';
import { makeMask, MASK_KINDS, resizeMaskKeepHoles } from '../masks/masks.js';
import {
  conventionFlag,
  DEFAULT_MASK_CONVENTION,
  holeWarning,
  parseMaskConvention,
  type MaskConvention,
} from '../masks/convention.js';
import { IMAGE_FORMATS } from './surface.js';
import { inpaintImages, type FittedResult } from './inpaint.js';
import { resolveInpaintOptions, type InpaintOptions } from './options.js';
import { resolveFor, type InpaintCallbacks, type InpaintModel } from './search.js';
import { UserError } from '../util/errors.js';
import type { ImageBatch, Mask } from '../types.js';
import { definedKeys } from '../util/defined.js';

export interface InpaintFilesSpec {
  /** An image file, or a folder of images (recursive). */
  input: string;
  /** A mask kind (made at each image's size, seeded by options.seed + image index) or a mask PNG. */
  mask: string;
  /** The output folder: one sub-folder per image and summary.json. */
  out: string;
  options?: Partial<InpaintOptions>;
  /** Refuse images (and mask files) of more pixels than this, read from the header [DEFAULT_MAX_PIXELS]. */
  maxPixels?: number;
  /** Refuse image and mask files of more bytes than this, from fstat before reading [DEFAULT_MAX_BYTES]; non-regular files are refused too. */
  maxBytes?: number;
  /** How a mask file is read and mask.png written [hole-white: white = hole], src/masks/convention.ts. */
  maskConvention?: MaskConvention;
}

/** A validated spec with the image bytes and headers read: the result of `prepareInpaintFiles`. */
export interface InpaintFilesPlan {
  readonly spec: Readonly<InpaintFilesSpec>;
  readonly options: InpaintOptions;
  readonly maxPixels: number;
  readonly files: readonly string[];
  /** Output sub-folder names, one per file. */
  readonly names: readonly string[];
  readonly bytes: Uint8Array[];
  /** Per file: its header, or null when it failed (`errors`). */
  readonly headers: readonly (ImageHeader | null)[];
  /**
   * Per file: why it cannot be inpainted (unreadable, empty, corrupt, over maxPixels), else null. Only
   * files of an input folder fail alone: a single input file that is bad is a UserError.
   */
  readonly errors: readonly (string | null)[];
  /** The mask file's bytes (header checked), when the mask is a file rather than a kind. */
  readonly maskBytes: Uint8Array | null;
}

export interface InpaintFilesHooks extends InpaintCallbacks {
  /** Notices, warnings and per-image errors, one line each (`notice: …`, `warning: …`, `error: …`). */
  log?: (line: string) => void;
  /** Written to summary.json as `model` (e.g. the checkpoint folder). */
  modelName?: string;
  /** Written to summary.json as `encoder`: where `model.encoder` came from. */
  encoderDir?: string;
  /** Written to summary.json as `backend`. */
  backend?: string;
}

export interface InpaintFilesImage {
  input: string;
  /** Output sub-folder, absent when the image failed. */
  output?: string;
  error?: string;
  notice?: FittedResult['notice'];
  resized?: boolean;
  losses?: FittedResult['losses'];
  domain?: FittedResult['domain'];
}

export interface InpaintFilesSummary {
  out: string;
  seconds: number;
  secondsPerImage: number;
  /**
   * Images written, and images that failed (listed in `images` with their error): a file of the input
   * folder that cannot be read or decoded, or whose search loss became non-finite.
   */
  written: number;
  failed: number;
  images: InpaintFilesImage[];
}

/** Check `out` before any work: an existing folder we can write into, or a path we can create. */
export function checkOutDir(out: string): void {
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(out);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR')
      throw new UserError(`cannot use --out '${out}': ${describeFsError(e)}`);
  }
  if (st && !st.isDirectory()) throw new UserError(`--out '${out}' is a file, not a folder`);
  // The nearest existing ancestor must be a folder.
  let p = path.resolve(out);
  while (!fs.existsSync(p)) p = path.dirname(p);
  if (!fs.statSync(p).isDirectory())
    throw new UserError(`cannot create --out '${out}': '${p}' is a file, not a folder`);
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

/** Whether `p` is `dir` or lies inside it (both absolute, links resolved). */
function within(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);
}

/** The real path of `p`, or of its nearest existing ancestor with the rest appended (a folder not made yet). */
function realPath(p: string): string {
  const abs = path.resolve(p);
  try {
    return fs.realpathSync(abs);
  } catch {
    const parent = path.dirname(abs);
    return parent === abs ? abs : path.join(realPath(parent), path.basename(abs));
  }
}

/**
 * The images an `inpaint` or `batch` run reads, shared by both: the file itself, or every image of the
 * folder (recursive, `listImageFiles`) except those inside `out` — a run's outputs (input.png,
 * blended.png, …) must not become the next run's inputs (`--input D --out D/out` run twice read 3,
 * then 24, then 171 images). Paths are compared with links resolved, so an `--out` given through a
 * link is still recognised. An `out` that is the input folder or holds it is refused: every input
 * would then be inside it, and an output folder could replace an input folder.
 * Returns the folder the relative paths are under (the file's folder for a file) and those paths.
 */
export function listInputImages(input: string, out: string): { root: string; rels: string[] } {
  if (!fs.existsSync(input)) throw new UserError(`input '${input}' does not exist`);
  if (!fs.statSync(input).isDirectory()) return { root: path.dirname(input), rels: [path.basename(input)] };
  const realOut = realPath(out);
  if (within(realPath(input), realOut)) {
    throw new UserError(
      `--out '${out}' is the input folder or holds it: its outputs would be read as inputs by the next run; give a folder beside the input, or inside it (e.g. '${path.join(input, 'out')}': what is inside --out is never read)`,
    );
  }
  const rels = listImageFiles(input).filter((r) => !within(realPath(path.join(input, r)), realOut));
  if (!rels.length) throw new UserError(`input folder '${input}' has no images (${IMAGE_EXTENSIONS.join(', ')})`);
  return { root: input, rels };
}

/**
 * Validate a spec before any computing or writing: options, input files, mask, output location, name
 * clashes, and every image's header (size against maxPixels, empty or corrupt files). Throws one
 * UserError line naming the problem — except for a bad file in an input folder, which is skipped and
 * named (`errors`; summary.json lists it, as `batch` does) unless every file is bad.
 */
export async function prepareInpaintFiles(spec: InpaintFilesSpec): Promise<InpaintFilesPlan> {
  const options = resolveInpaintOptions(spec.options ?? {});
  const maxPixels = spec.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (spec.maskConvention !== undefined) parseMaskConvention(spec.maskConvention, 'maskConvention');
  if (!Number.isInteger(maxPixels) || maxPixels < 1)
    throw new UserError(`maxPixels must be an integer ≥ 1, got ${maxPixels}`);
  const maxBytes = spec.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!Number.isInteger(maxBytes) || maxBytes < 1)
    throw new UserError(`maxBytes must be an integer ≥ 1, got ${maxBytes}`);
  const { input, mask, out } = spec;
  const { root, rels } = listInputImages(input, out);
  const isDir = fs.statSync(input).isDirectory();
  const files = isDir ? rels.map((r) => path.join(root, r)) : [input];
  if (!MASK_KINDS.includes(mask) && !fs.existsSync(mask))
    throw new UserError(`--mask '${mask}' is neither a mask kind (${MASK_KINDS.join(', ')}) nor an existing file`);
  checkOutDir(out);
  const names = outputNames(files.map((f) => path.basename(f)));
  for (const n of [...names, 'summary.json']) {
    const p = path.join(out, n),
      want = n === 'summary.json' ? 'file' : 'folder';
    if (fs.existsSync(p) && fs.statSync(p).isDirectory() !== (want === 'folder'))
      throw new UserError(`cannot write '${p}': a ${want === 'folder' ? 'file' : 'folder'} of that name is in the way`);
  }
  // A file that cannot be read, or whose header is bad (empty, corrupt, over maxPixels): one given
  // alone is bad input; one in a folder fails alone, named, and the others go on.
  // Read once here, so a mask that is not a regular file, too large or corrupt is refused before the model loads.
  const maskBytes = MASK_KINDS.includes(mask) ? null : readInputFile(mask, 'mask', maxBytes);
  if (maskBytes) await readImageHeader(maskBytes, `mask '${mask}'`, { maxPixels });
  const errors: (string | null)[] = files.map(() => null);
  const bytes: Uint8Array[] = [];
  const headers: (ImageHeader | null)[] = [];
  for (const [i, f] of files.entries()) {
    try {
      bytes.push(readInputFile(f, 'image', maxBytes));
      // The formats every surface accepts (surface.ts), judged by the bytes, as the API does.
      headers.push(await readImageHeader(bytes[i]!, `'${f}'`, { maxPixels, formats: IMAGE_FORMATS }));
    } catch (e) {
      if (!isDir || !(e instanceof UserError)) throw e;
      errors[i] = e.message;
      bytes[i] = new Uint8Array(0);
      headers[i] = null;
    }
  }
  everyImageFailed(files, errors);
  return { spec: { ...spec }, options, maxPixels, files, names, bytes, headers, errors, maskBytes };
}

/** A mask at h × w: as it is, or resized keeping every hole (resizeMaskKeepHoles). */
function atSize(m: Mask, h: number, w: number): Mask {
  return m.height === h && m.width === w ? m : resizeMaskKeepHoles(m, h, w);
}

/** When no image is left to inpaint: one UserError naming the first failure (nothing is written). */
function everyImageFailed(files: readonly string[], errors: readonly (string | null)[]): void {
  const failed = errors.flatMap((e, i) => (e === null ? [] : [i]));
  if (!failed.length || failed.length < files.length) return;
  const i = failed[0]!;
  // The file's own message names it already (`cannot decode 'x.png': …`); others get its name.
  const msg = errors[i]!.includes(`'${files[i]}'`) ? errors[i]! : `'${files[i]}': ${errors[i]}`;
  throw new UserError(`${msg}${failed.length > 1 ? ` (and the ${failed.length - 1} other image(s) too)` : ''}`);
}

/**
 * Inpaint the files of a spec (or of a plan from `prepareInpaintFiles`) with a model: decode each image
 * at its own size (converted to the model's channels), make its mask, complete all of them in one
 * batched search, and write OUT/<name>/ (the files of src/io/outputs.ts) and OUT/summary.json.
 *
 * Throws a UserError when every image failed (nothing is written) or a write failed; otherwise returns
 * the summary, whose `failed` counts images that were reported and not written: files of the input
 * folder that cannot be decoded (a single bad input file is a UserError) and non-finite searches.
 */
export async function inpaintFiles(
  model: InpaintModel,
  specOrPlan: InpaintFilesSpec | InpaintFilesPlan,
  hooks: InpaintFilesHooks = {},
): Promise<InpaintFilesSummary> {
  const plan = 'headers' in specOrPlan ? specOrPlan : await prepareInpaintFiles(specOrPlan);
  const { files, names, maxPixels } = plan;
  // Resolved again for this model: iterations and restarts not given default per start (its encoder).
  const { o, start } = resolveFor(model, plan.spec.options ?? {});
  const { out, mask: maskArg } = plan.spec;
  const log = hooks.log ?? (() => {});
  const channels = (model.generator.outputs[0]!.shape as number[])[3] as 1 | 3;
  const convention = plan.spec.maskConvention ?? DEFAULT_MASK_CONVENTION;
  let warned = false;
  let fileMask: Mask | null = null;

  // Why each file failed (before the search: unreadable or undecodable; after: a non-finite loss).
  const errors = [...(plan.errors ?? files.map(() => null))];
  const isDir = fs.statSync(plan.spec.input).isDirectory();
  const images: (ImageBatch | null)[] = files.map(() => null);
  const masks: (Mask | null)[] = files.map(() => null);
  for (const [i, f] of files.entries()) {
    if (errors[i] !== null) continue;
    let im: ImageBatch;
    try {
      im = await decodeImage(plan.bytes[i]!, { channels, maxPixels }, `'${f}'`);
    } catch (e) {
      // As in prepareInpaintFiles: a bad file of a folder fails alone.
      if (!isDir || !(e instanceof UserError)) throw e;
      errors[i] = e.message;
      continue;
    } finally {
      plan.bytes[i] = new Uint8Array(0); // the decoded copy is all we need from here on
    }
    if (plan.headers[i]!.colour !== (channels === 3))
      log(`notice: '${f}' converted to the model's ${channels === 1 ? 'grey' : 'RGB'}`);
    // Seeded by the index in the whole list, as `batch` does, so a bad file does not change the others' masks.
    // A mask file (read once, `plan.maskBytes`) is decoded once at its own size under the convention;
    // one of another size is brought to each image's keeping every hole, as the API does.
    if (plan.maskBytes && !fileMask)
      fileMask = await decodeMask(plan.maskBytes, `mask '${maskArg}'`, { maxPixels, convention });
    masks[i] = !fileMask
      ? makeMask(maskArg, im.height, im.width, { seed: o.seed + i })
      : atSize(fileMask, im.height, im.width);
    // One mask file for every image: said once (a mask of the other convention makes most of it a hole).
    const w: string | null =
      !warned && fileMask ? holeWarning(masks[i]!, convention, `mask '${maskArg}'`, conventionFlag) : null;
    if (w) log(`warning: ${w}`);
    warned ||= !!w;
    images[i] = im;
  }
  everyImageFailed(files, errors);

  const todo = files.flatMap((_, i) => (images[i] ? [i] : []));
  const t0 = Date.now();
  const fitted = await inpaintImages(
    model,
    todo.map((i) => images[i]!),
    todo.map((i) => masks[i]!),
    o,
    hooks,
  );
  const seconds = (Date.now() - t0) / 1000;
  const results: (FittedResult | null)[] = files.map(() => null);
  for (const [j, i] of todo.entries()) {
    results[i] = fitted[j]!;
    if (fitted[j]!.error) errors[i] = fitted[j]!.error!;
  }
  everyImageFailed(files, errors);
  const failed = errors.filter((e) => e !== null);

  // The highest folder of `out` this call will create (removed again if nothing is kept).
  let created: string | null = null;
  for (let p = path.resolve(out); !fs.existsSync(p); p = path.dirname(p)) created = p;
  const summary: (InpaintFilesImage | { error: string })[] = [];
  const written: string[] = [];
  const summaryJson = () =>
    `${JSON.stringify(
      {
        model: hooks.modelName ?? null,
        backend: hooks.backend ?? null,
        start,
        maskConvention: convention,
        ...(hooks.encoderDir ? { encoder: hooks.encoderDir } : {}),
        options: o,
        seconds,
        secondsPerImage: seconds / files.length,
        images: summary,
      },
      null,
      2,
    )}\n`;
  try {
    for (const [i, r] of results.entries()) {
      if (!r || r.error) {
        log(`error: ${errors[i]!.includes(`'${files[i]}'`) ? errors[i] : `'${files[i]}': ${errors[i]}`}; not written`);
        summary.push({ input: files[i]!, error: errors[i]! });
        continue;
      }
      if (r.notice === 'no-hole')
        log(`notice: '${files[i]}': the mask has no unknown pixel; the image is returned unchanged`);
      if (r.notice === 'no-known') log(`warning: '${files[i]}': the mask has no known pixel; this is pure generation`);
      if (r.domain?.unlike) log(`warning: '${files[i]}': ${r.domain.message}`);
      // The same files, byte for byte, as `batch` writes (src/io/outputs.ts).
      await writeOutputDir(path.join(out, names[i]!), await inpaintOutputFiles(images[i]!, masks[i]!, r, convention));
      written.push(names[i]!);
      summary.push({
        input: files[i]!,
        output: names[i]!,
        ...(r.losses ?? {}),
        resized: r.resized,
        ...definedKeys({ notice: r.notice, domain: r.domain }),
      });
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
        /* the disk is still full: remove what this call wrote */
      }
    }
    if (!kept) {
      for (const n of written) fs.rmSync(path.join(out, n), { recursive: true, force: true });
      if (created) fs.rmSync(created, { recursive: true, force: true });
    }
    throw new UserError(
      `${e.message}; ${kept ? `summary.json lists the ${written.length} image(s) written before` : written.length ? `removed the ${written.length} image folder(s) this run wrote` : 'nothing was written'}`,
    );
  }
  const images_: InpaintFilesImage[] = results.map((r, i) =>
    !r || r.error
      ? { input: files[i]!, error: errors[i]! }
      : {
          input: files[i]!,
          output: names[i]!,
          resized: r.resized,
          losses: r.losses,
          ...definedKeys({ notice: r.notice, domain: r.domain }),
        },
  );
  return {
    out,
    seconds,
    secondsPerImage: seconds / files.length,
    written: written.length,
    failed: failed.length,
    images: images_,
  };
}
