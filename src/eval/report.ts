/**
 * The evaluation report (Node): DIR/results.json (every number, machine-readable), DIR/index.md (the
 * tables, what was measured and how, the exact command, model and versions) and DIR/grid-<mask>.png
 * (rows = examples; columns = original | masked | each method). Every file is written atomically;
 * index.md last, so its presence means the report is complete.
 */
import path from 'node:path';
import type { ImageBatch } from '../types.js';
import { imageAt } from '../types.js';
import { makeGrid, upscale, writePng } from '../io/image.js';
import { writeFileAtomic } from '../io/atomic.js';
import { PSNR_CAP_DB } from '../metrics/index.js';
import { EVAL_METRICS, getEvalMethod, type EvalResult, type Stat } from './runner.js';
import { FD_CLASSIFIER_NAME } from '../classifier/fd.js';

export const RESULTS_FORMAT = 1;

export interface ReportContext {
  /** The exact command line that produced the report. */
  command: string;
  model: {
    dir: string;
    step: number;
    config: unknown;
    /** The command that trained it, when the manifest has it. */
    command?: string;
    dataset?: unknown;
    trainSeconds?: number;
  };
  data: {
    name: string;
    split: string;
    size: number;
    channels: number;
    available: number;
    indices: number[];
    labelled: boolean;
  };
  versions: { library: string; tfjs: string; node: string; backend: string };
  classifier?: { dir: string; testAccuracy: number; data: string; testN: number } | undefined;
  /** Why there is no semantic accuracy, when there is none. */
  classifierNote?: string | undefined;
  /** The encoder folder the encoder methods used, if any. */
  encoder?: string | undefined;
  /** Examples (rows) per grid. */
  gridRows: number;
  /** Wall-clock seconds of the whole evaluation. */
  seconds: number;
}

/** results.json: the numbers of EvalResult (no images) plus the context. */
export function resultsJson(r: EvalResult, ctx: ReportContext): object {
  return {
    format: RESULTS_FORMAT,
    createdAt: new Date().toISOString(),
    command: ctx.command,
    versions: ctx.versions,
    model: ctx.model,
    ...(ctx.encoder ? { encoder: ctx.encoder } : {}),
    data: ctx.data,
    options: r.options,
    n: r.n,
    metrics: {
      psnr: `PSNR over the whole image, dB, data range 1; +Infinity (identical) counted as ${PSNR_CAP_DB} dB`,
      ssim: 'SSIM over the whole image (Gaussian σ = 1.5 window, skimage-compatible), mean over channels',
      holeL1: 'mean absolute error over the hole pixels only, [0, 1] scale',
      holePsnr: 'PSNR over the hole pixels only, dB',
      secondsPerImage:
        'wall-clock seconds per image: search (shared searches charged in full to each method) + blending/filling',
      accuracy: "fraction of completions the classifier assigns to the original image's label",
      attributeAccuracy:
        "per attribute the class ids decompose into (e.g. faces: glasses, facial hair): fraction of completions whose predicted class has the original label's value of it; null for datasets without attributes",
      critic:
        "realism: the critic's mean score D(x) of the completed images (the originals': originalCritic); higher = more real to this model's critic",
      fdCompleted:
        "realism: Fréchet distance of the classifier's penultimate features, completed images vs the originals (null without a classifier); lower is better",
      stat: '{ mean, se }: mean over images and its standard error sd/√n',
      exact: `images whose hole the method reproduced exactly (hole PSNR +Infinity, counted as ${PSNR_CAP_DB} dB in the means)`,
      paired:
        "per method but the first (the reference): per-image differences method − reference of hole PSNR and SSIM as { mean, se }, and `better`, the fraction of images whose hole PSNR is above the reference's (ties ½)",
    },
    holeFraction: r.holeFraction,
    originalCritic: r.originalCritic,
    results: r.cells,
    semantic: {
      classifier: ctx.classifier ?? null,
      note: ctx.classifierNote ?? null,
      originalAccuracy: r.originalAccuracy,
      maskedAccuracy: r.maskedAccuracy,
      originalAttributeAccuracy: r.originalAttributeAccuracy,
      maskedAttributeAccuracy: r.maskedAttributeAccuracy,
    },
    fdClassifier: r.fdClassifier,
    searches: r.searches,
    grids: Object.fromEntries(Object.keys(r.cells).map((k) => [k, gridFile(k)])),
    seconds: ctx.seconds,
  };
}

export const gridFile = (mask: string): string => `grid-${mask}.png`;

/** Grid for one mask kind: `rows` examples × (original, masked, each method), upscaled to ≥ 64 px tiles. */
export function evalGrid(r: EvalResult, mask: string, original: ImageBatch, rows: number): ImageBatch {
  const methods = r.options.methods;
  const tiles: ImageBatch[] = [];
  for (let i = 0; i < Math.min(rows, original.n); i++) {
    tiles.push(imageAt(original, i), imageAt(r.masked[mask]!, i));
    for (const m of methods) tiles.push(imageAt(r.outputs[mask]![m]!, i));
  }
  const f = Math.max(1, Math.ceil(64 / original.height));
  return makeGrid(
    tiles.map((t) => upscale(t, f)),
    methods.length + 2,
    2,
  );
}

const fmtNum = (x: number, digits: number): string => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
const fmtStat = (s: Stat, digits: number): string =>
  Number.isFinite(s.se) ? `${fmtNum(s.mean, digits)} ± ${fmtNum(s.se, digits)}` : fmtNum(s.mean, digits);
const fmtDelta = (s: Stat, digits: number): string => `${s.mean >= 0 ? '+' : ''}${fmtStat(s, digits)}`;
const fmtPct = (x: number | null): string => (x === null || !Number.isFinite(x) ? '—' : `${(x * 100).toFixed(1)} %`);
const fmtSec = (s: number): string => (s >= 1 ? s.toFixed(2) : s >= 0.001 ? s.toFixed(4) : s.toExponential(1));

/** index.md: human-readable report. */
export function indexMarkdown(r: EvalResult, ctx: ReportContext): string {
  const o = r.options;
  const L: string[] = [];
  L.push('# Inpainting evaluation', '');
  L.push('Command:', '', '```', ctx.command, '```', '');
  L.push(
    `Model: \`${ctx.model.dir}\`, step ${ctx.model.step}${ctx.model.trainSeconds !== undefined ? `, ${(ctx.model.trainSeconds / 3600).toFixed(2)} h of training` : ''}.`,
  );
  L.push(`Training command: ${ctx.model.command ? `\`${ctx.model.command}\`` : '(not recorded in the manifest)'}`, '');
  L.push(
    '<details><summary>model config</summary>',
    '',
    '```json',
    JSON.stringify(ctx.model.config, null, 2),
    '```',
    '',
    '</details>',
    '',
  );
  L.push(
    `Data: ${r.n} images of \`${ctx.data.name}\` (${ctx.data.split} split, ${ctx.data.available} available), ${ctx.data.size}×${ctx.data.size}×${ctx.data.channels}, chosen with seed ${o.seed}; the same images and masks for every method.`,
  );
  L.push(
    `Masks: ${o.masks.map((k) => `${k} (mean hole ${(r.holeFraction[k]! * 100).toFixed(1)} %)`).join(', ')}; image i gets seed ${o.seed}·100003 + i.`,
  );
  L.push(
    `Latent search: ${o.iters} Adam iterations (lr ${o.lr}), K = ${o.restarts} restarts, λ = ${o.lambda}, context floor ${o.contextFloor}, seed ${o.seed}, ${o.batch} images per call${o.methods.includes('wgan-encoder') ? `; \`wgan-encoder\`: ${o.encoderIters} iterations × ${o.encoderRestarts} restarts from the encoder's z${ctx.encoder ? ` (${ctx.encoder})` : ''}` : ''}.`,
  );
  L.push(
    `Versions: wgan-inpaint ${ctx.versions.library}, TF.js ${ctx.versions.tfjs}, Node ${ctx.versions.node}, backend \`${ctx.versions.backend}\`. Total time ${ctx.seconds.toFixed(1)} s.`,
    '',
  );

  L.push('## Methods', '');
  for (const m of o.methods) L.push(`- \`${m}\`: ${getEvalMethod(m).description}`);
  L.push('');

  L.push('## Semantic accuracy and FD-classifier', '');
  if (ctx.classifier) {
    L.push(
      `Classifier \`${ctx.classifier.dir}\` (trained on ${ctx.classifier.data}; ${fmtPct(ctx.classifier.testAccuracy)} on ${ctx.classifier.testN} test images). On the ${r.n} original images: ${fmtPct(r.originalAccuracy)}; on the masked inputs (holes grey): ${o.masks.map((k) => `${k} ${fmtPct(r.maskedAccuracy[k] ?? null)}`).join(', ')}.`,
    );
  } else {
    L.push(`No semantic accuracy: ${ctx.classifierNote ?? 'no classifier'}.`);
  }
  if (r.originalAttributeAccuracy) L.push('', ...attributeTable(r));
  if (r.fdClassifier) {
    L.push(
      '',
      `${FD_CLASSIFIER_NAME} of the generator: **${r.fdClassifier.value.toFixed(3)}** (${r.fdClassifier.samples} samples, seed ${r.fdClassifier.seed}, against ${r.fdClassifier.real} real ${ctx.data.split} images). This is a Fréchet distance on the penultimate features of the small classifier above: comparable only with other ${FD_CLASSIFIER_NAME} values from the same classifier and sample sizes, not with published FID.`,
    );
  }
  L.push('');

  L.push('## Results', '');
  L.push(
    `Realism beside PSNR (a fill can gain hole PSNR by blurring): *critic D* is the critic's mean score of the completed images (the originals score ${fmtNum(r.originalCritic, 3)}); *FD to originals* the Fréchet distance of the classifier's features between completed images and the originals.`,
    '',
  );
  L.push(
    `Mean ± standard error over the ${r.n} images. PSNR and SSIM over the whole image (known pixels included, so they are diluted by the unchanged part); hole L1 and hole PSNR over the hole alone. Pixel values in [0, 1]; PSNR of an exact match counts as ${PSNR_CAP_DB} dB. ↑ higher is better, ↓ lower is better. Seconds per image: wall clock on \`${ctx.versions.backend}\`; a search shared by several methods is charged in full to each.`,
    '',
  );
  const ref = o.methods[0]!;
  if (o.methods.length > 1)
    L.push(
      `Paired with \`${ref}\` (the first method): Δ = this method − \`${ref}\` per image, mean ± standard error of the differences (the same images and holes, so this s.e. is the one that says whether two methods differ), and the fraction of images where this method's hole PSNR is higher.`,
      '',
    );
  const head = [
    'method',
    ...EVAL_METRICS.map((m) => `${m.label} ${m.higherIsBetter ? '↑' : '↓'}`),
    'accuracy ↑',
    'critic D ↑',
    'FD to originals ↓',
    's / image',
    ...(o.methods.length > 1 ? [`Δ hole PSNR vs \`${ref}\``, 'Δ SSIM', 'images better'] : []),
  ];
  for (const kind of o.masks) {
    L.push(`### ${kind} (mean hole ${(r.holeFraction[kind]! * 100).toFixed(1)} %)`, '');
    L.push(`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
    for (const m of o.methods) {
      const c = r.cells[kind]![m]!;
      const vals = EVAL_METRICS.map((e) => fmtStat(c[e.key], e.key === 'ssim' || e.key === 'holeL1' ? 4 : 2));
      const pr =
        o.methods.length < 2
          ? ''
          : c.paired
            ? ` | ${fmtDelta(c.paired.holePsnr, 2)} | ${fmtDelta(c.paired.ssim, 4)} | ${fmtPct(c.paired.better)}`
            : ' | — | — | —';
      L.push(
        `| \`${m}\` | ${vals.join(' | ')} | ${fmtPct(c.accuracy)} | ${fmtNum(c.critic, 3)} | ${c.fdCompleted === null ? '—' : fmtNum(c.fdCompleted, 2)} | ${fmtSec(c.secondsPerImage)}${pr} |`,
      );
    }
    L.push('');
    const exact = o.methods.filter((m) => r.cells[kind]![m]!.exact > 0);
    if (exact.length) {
      const lift = (m: string): string => {
        const c = r.cells[kind]![m]!;
        return ((c.exact * (PSNR_CAP_DB - c.holePsnr.mean)) / c.n).toFixed(2);
      };
      L.push(
        `Holes reproduced exactly (hole PSNR +∞, counted as ${PSNR_CAP_DB} dB): ${exact.map((m) => `\`${m}\` ${r.cells[kind]![m]!.exact} of ${r.n} images (about +${lift(m)} dB of its mean hole PSNR)`).join(', ')}.`,
        '',
      );
    }
    L.push(`![${kind}](${gridFile(kind)})`, '');
    L.push(`Columns: original | masked | ${o.methods.join(' | ')}.`, '');
  }
  if (r.searches.length) {
    L.push('## Latent searches', '');
    L.push(
      '| mask | start | iterations | λ | K | seconds | final contextual loss | final prior loss |',
      '|---|---|---:|---:|---:|---:|---:|---:|',
    );
    for (const s of r.searches)
      L.push(
        `| ${s.mask} | ${s.init} | ${s.iters} | ${s.lambda} | ${s.restarts} | ${s.seconds.toFixed(1)} | ${fmtNum(s.contextual, 3)} | ${fmtNum(s.prior, 3)} |`,
      );
    L.push('');
  }
  L.push('All numbers are in `results.json`.', '');
  return L.join('\n');
}

/** Write grids, results.json and index.md into `outDir` (each atomically; index.md last). */
export async function writeEvalReport(
  outDir: string,
  r: EvalResult,
  original: ImageBatch,
  ctx: ReportContext,
): Promise<void> {
  for (const kind of r.options.masks)
    await writePng(path.join(outDir, gridFile(kind)), evalGrid(r, kind, original, ctx.gridRows));
  writeFileAtomic(
    path.join(outDir, 'results.json'),
    `${JSON.stringify(resultsJson(r, ctx), (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`,
  );
  writeFileAtomic(path.join(outDir, 'index.md'), indexMarkdown(r, ctx));
}

/**
 * Accuracy per attribute (faces: glasses, facial hair) of the masked inputs and of every method's
 * completions, each beside its share of the originals' accuracy: "glasses recovered when the eyes
 * were hidden" is the completion's glasses accuracy against the originals'.
 */
function attributeTable(r: EvalResult): string[] {
  const orig = r.originalAttributeAccuracy!;
  const names = Object.keys(orig);
  const cell = (v: number | undefined, o: number): string =>
    v === undefined ? '—' : `${(v * 100).toFixed(1)} % (${((v / o) * 100).toFixed(0)} %)`;
  const L = [
    `Accuracy per attribute; in brackets, the share of the originals' accuracy (originals: ${names.map((a) => `${a} ${(orig[a]! * 100).toFixed(1)} %`).join(', ')}).`,
    '',
    `| mask | images | ${names.join(' | ')} |`,
    `|---|---|${names.map(() => '---:').join('|')}|`,
  ];
  for (const kind of r.options.masks) {
    const rows: [string, Record<string, number> | null | undefined][] = [
      ['masked input (holes grey)', r.maskedAttributeAccuracy[kind]],
      ...r.options.methods.map((m): [string, Record<string, number> | null] => [
        `\`${m}\``,
        r.cells[kind]![m]!.attributeAccuracy,
      ]),
    ];
    for (const [i, [label, acc]] of rows.entries())
      L.push(`| ${i === 0 ? kind : ''} | ${label} | ${names.map((a) => cell(acc?.[a], orig[a]!)).join(' | ')} |`);
  }
  return L;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Two results.json of one model, each for other mask kinds (tools/eval_full.sh writes one report per
 * kind), as one: objects merge key by key (results, grids, hole fractions and accuracies are keyed by
 * mask kind), equal values stay, lists join without repeats, `seconds` add up, and any other values
 * that differ (commands, dates) become the list of them in order. Folding a third in appends to that list.
 */
export function mergeReports(a: unknown, b: unknown, key = ''): unknown {
  if (JSON.stringify(a) === JSON.stringify(b)) return a;
  if (isObject(a) && isObject(b))
    return Object.fromEntries(
      [...new Set([...Object.keys(a), ...Object.keys(b)])].map((k) => [
        k,
        k in a && k in b ? mergeReports(a[k], b[k], k) : k in a ? a[k] : b[k],
      ]),
    );
  if (key === 'seconds' && typeof a === 'number' && typeof b === 'number') return a + b;
  if (Array.isArray(a) && Array.isArray(b)) {
    const seen = new Set(a.map((v) => JSON.stringify(v)));
    return [...a, ...b.filter((v) => !seen.has(JSON.stringify(v)))];
  }
  return Array.isArray(a) ? [...a, b] : [a, b];
}
