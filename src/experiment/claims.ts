/**
 * `runClaims`: the experiment behind `wgan-inpaint experiment claims` (Node: it trains and writes
 * files). It trains the grid {losses} × {models} × seeds at one budget (generator iterations), one
 * run after another, each in a normal run folder DIR/runs/<loss>-<model>-s<seed>/ — so a re-run
 * resumes an unfinished run from its newest checkpoint, skips finished and diverged ones, and extends
 * them all when --iters grows — then writes the report (analysis.ts, report.ts).
 *
 * Every run measures FD-classifier, modes covered and spread every fdEvery iterations (train/probe.ts)
 * against 1000 real test images. Each loss keeps its own paper's hyper-parameters; what the options
 * change (data, size, widths, batch …) applies to every run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { TrainConfigSchema, resolveConfig, type TrainConfig, type TrainConfigInput } from '../config/config.js';
import { LOSSES } from '../losses/index.js';
import { disposeModel, MODEL_REGISTRY } from '../models/index.js';
import { train, type Progress } from '../train/loop.js';
import { RunDir } from '../train/run_dir.js';
import { readManifest } from '../train/manifest.js';
import { newestIntactCheckpoint } from '../train/checkpoint.js';
import { loadDataset } from '../data/load_node.js';
import { toImageBatch, type Dataset } from '../data/dataset.js';
import { isClassifierDir, loadClassifier } from '../classifier/classifier_node.js';
import { activeBackend, BACKEND_KINDS } from '../backends/index.js';
import { writeFileAtomic } from '../io/atomic.js';
import { MODELS_DIR } from '../io/paths.js';
import { UserError } from '../util/errors.js';
import { formatZodError } from '../util/zod_error.js';
import { summariseRun, summariseCells, answerClaims, type ClaimAnswer, type RunRecord } from './analysis.js';
import { writeClaimsReport } from './report.js';
import { measureCell, projectRunSeconds } from './budget.js';
import { definedKeys } from '../util/defined.js';

/**
 * The default budget, chosen from measured step times (docs/CLAIMS.md, `npm run bench -- claims`):
 * the full grid (3 losses × 2 models × 2 seeds × 1000 iterations) projects to ≈ 1.1 h on the 2-core
 * machine here if it were free (measured while shared: 4.4 h at a CPU share of 0.49 of 2 cores).
 * DCGAN at width 32 (the project's Fashion-MNIST recipe; 64 costs ≈ 2.5× as much), the MLP at the
 * WGAN paper's 512 units.
 */
export const CLAIMS_DEFAULTS = {
  iters: 1000,
  seeds: 2,
  widths: { dcgan: 32, mlp: 512 } as Record<string, number>,
} as const;

const T = TrainConfigSchema.shape;
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max);

export const ClaimsOptionsSchema = z
  .object({
    data: T.data,
    out: z
      .string()
      .min(1)
      .describe(
        'experiment folder (required): runs/<loss>-<model>-s<seed>/ (each a normal run folder), report.md, report.json, plots/',
      ),
    iters: int(1)
      .default(CLAIMS_DEFAULTS.iters)
      .describe("generator iterations of every run (the budget; each preceded by its loss's critic steps)"),
    seeds: int(1, 1000).default(CLAIMS_DEFAULTS.seeds).describe('seeds 0 … S−1 of every cell'),
    losses: z
      .string()
      .default(LOSSES.kinds.join(','))
      .describe(`losses, comma-separated (valid: ${LOSSES.kinds.join(', ')}; gan is the standard-GAN baseline)`),
    models: z
      .string()
      .default(MODEL_REGISTRY.kinds.join(','))
      .describe(`models, comma-separated (valid: ${MODEL_REGISTRY.kinds.join(', ')})`),
    gWidth: T.gWidth.describe('generator width of every run (dcgan: channels, mlp: units per hidden layer)'),
    dWidth: T.dWidth.describe('critic width of every run'),
    size: T.size,
    channels: T.channels,
    limit: T.limit,
    batch: T.batch,
    nz: T.nz,
    fdEvery: int(1)
      .nullable()
      .default(null)
      .describe('measure FD-classifier, modes covered and spread every N iterations'),
    classifier: z
      .string()
      .default('')
      .describe(
        'classifier folder for FD-classifier and modes (`wgan-inpaint classifier train`) [default: the shipped one of --data, e.g. models/fashion-mnist/classifier]',
      ),
    checkpointEvery: int(1)
      .nullable()
      .default(null)
      .describe('checkpoint every N iterations, what a resume after a kill loses at most'),
    backend: z.enum(BACKEND_KINDS).default('auto').describe('compute backend (the caller initialises it)'),
    estimate: z
      .boolean()
      .default(false)
      .describe('time a few steps of every cell, print the projected time of the grid, and exit'),
    reportOnly: z.boolean().default(false).describe('write the report from the runs on disk without training'),
  })
  .strict();

export type ClaimsOptionsInput = z.input<typeof ClaimsOptionsSchema>;

/** Options with the lists parsed and every default filled in. */
export interface ClaimsOptions
  extends Omit<z.output<typeof ClaimsOptionsSchema>, 'losses' | 'models' | 'fdEvery' | 'checkpointEvery'> {
  losses: string[];
  models: string[];
  fdEvery: number;
  checkpointEvery: number;
}

const splitList = (s: string) => [
  ...new Set(
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  ),
];

/** The shipped classifier of a built-in dataset (models/<data>/classifier), if there is one. */
export function shippedClassifier(data: string): string | undefined {
  const dir = path.join(MODELS_DIR, data, 'classifier');
  return /^[\w-]+$/.test(data) && isClassifierDir(dir) ? dir : undefined;
}

export function resolveClaimsOptions(input: unknown): ClaimsOptions {
  const r = ClaimsOptionsSchema.safeParse(input);
  if (!r.success) throw new UserError(`experiment claims: ${formatZodError(r.error, { input })}`);
  const o = r.data;
  const losses = splitList(o.losses),
    models = splitList(o.models);
  if (!losses.length) throw new UserError('experiment claims: --losses names no loss');
  if (!models.length) throw new UserError('experiment claims: --models names no model');
  const check = (f: () => unknown, flag: string) => {
    try {
      f();
    } catch (e) {
      throw new UserError(`experiment claims: --${flag}: ${(e as Error).message}`);
    }
  };
  for (const l of losses) check(() => LOSSES.get(l), 'losses');
  for (const m of models) check(() => MODEL_REGISTRY.get(m), 'models');
  const classifier = o.classifier || shippedClassifier(o.data);
  if (!classifier && !o.reportOnly) {
    throw new UserError(
      `experiment claims: '${o.data}' has no shipped classifier; pass --classifier DIR (train one with \`wgan-inpaint classifier train --data ${o.data} --size ${o.size}\`)`,
    );
  }
  return {
    ...o,
    losses,
    models,
    classifier: classifier ?? '',
    fdEvery: o.fdEvery ?? Math.max(1, Math.round(o.iters / 20)),
    checkpointEvery: o.checkpointEvery ?? Math.max(1, Math.round(o.iters / 10)),
  };
}

/** One run of the grid. */
export interface Cell {
  name: string;
  loss: string;
  model: string;
  seed: number;
  dir: string;
  config: TrainConfigInput;
}

/** The grid in training order: seed-major, so an interrupted grid has whole seeds done first. */
export function gridCells(o: ClaimsOptions): Cell[] {
  const cells: Cell[] = [];
  for (let seed = 0; seed < o.seeds; seed++) {
    for (const model of o.models) {
      for (const loss of o.losses) {
        const name = `${loss}-${model}-s${seed}`;
        const width = CLAIMS_DEFAULTS.widths[model] ?? MODEL_REGISTRY.get(model).defaultWidth;
        cells.push({
          name,
          loss,
          model,
          seed,
          dir: path.join(o.out, 'runs', name),
          config: {
            data: o.data,
            limit: o.limit,
            size: o.size,
            channels: o.channels,
            nz: o.nz,
            batch: o.batch,
            model,
            loss: LOSSES.get(loss).kind,
            seed,
            iters: o.iters,
            gWidth: o.gWidth ?? width,
            dWidth: o.dWidth ?? width,
            fdEvery: o.fdEvery,
            classifier: o.classifier,
            sampleEvery: o.fdEvery,
            checkpointEvery: o.checkpointEvery,
            keepCheckpoints: 1,
            backend: o.backend,
          },
        });
      }
    }
  }
  return cells;
}

export type CellStatus = 'start' | 'resume' | 'skip-done' | 'skip-diverged' | 'done' | 'diverged' | 'stopped';

export interface ClaimsCallbacks {
  onLog?: (msg: string) => void;
  /** A run of the grid changes state (index from 0 of `total`). */
  onCell?: (cell: Cell, index: number, total: number, status: CellStatus) => void;
  onProgress?: (cell: Cell, p: Progress) => void;
  /** Stop: the current run writes a checkpoint; no report is written. Re-run to continue. */
  signal?: AbortSignal;
  /** Training images instead of loading --data (tests). */
  dataset?: Dataset;
  /** Real test images for the measurements instead of 1000 of --data's test split (tests). */
  evalDataset?: Dataset;
  /** The command line, recorded in DIR/experiment.json, every run's manifest and the report. */
  command?: string;
  /** A note for the report's heading (e.g. "smoke-size run"). */
  note?: string;
}

export interface ClaimsResult {
  dir: string;
  aborted: boolean;
  /** Report files written (relative to dir); empty when aborted or estimating. */
  files: string[];
  claims: ClaimAnswer[];
  /** --estimate: projected seconds of the whole grid on this machine now. */
  estimateSeconds?: number;
}

const EXPERIMENT_FILE = 'experiment.json';

/** The options that define the grid (without the modes --estimate and --report-only). */
function gridOptions(o: ClaimsOptions): Omit<ClaimsOptions, 'estimate' | 'reportOnly'> {
  const { estimate: _e, reportOnly: _r, ...rest } = o;
  return rest;
}

function recordCommand(dir: string, o: ClaimsOptions, command: string | undefined): string[] {
  const file = path.join(dir, EXPERIMENT_FILE);
  let commands: string[] = [];
  if (fs.existsSync(file)) {
    try {
      commands = (JSON.parse(fs.readFileSync(file, 'utf8')) as { commands?: string[] }).commands ?? [];
    } catch {
      commands = [];
    }
  }
  if (command) commands.push(command);
  fs.mkdirSync(dir, { recursive: true });
  writeFileAtomic(
    file,
    `${JSON.stringify({ format: 1, kind: 'claims', options: gridOptions(o), commands }, null, 2)}\n`,
  );
  return commands;
}

/** Where a run stands on disk: has a checkpoint, steps done (newest checkpoint), diverged, train seconds. */
function cellState(c: Cell): { started: boolean; step: number; diverged: boolean; trainSeconds: number | null } {
  const run = new RunDir(c.dir);
  // The checkpoint a resume would start from (the newest that passes its check, harness.ts); when none
  // does, the run has started and its resume refuses in one line naming each problem.
  let ck: string | null = null;
  try {
    ck = newestIntactCheckpoint(c.dir, { optimizer: true });
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
  }
  const m = ck ? readManifest(ck) : undefined;
  return {
    started: run.checkpoints().length > 0,
    step: m?.step ?? 0,
    diverged: run.diverged() !== null,
    trainSeconds: m?.trainSeconds ?? null,
  };
}

/** Time every cell and project the grid (the `--estimate` mode). */
async function estimate(o: ClaimsOptions, cells: Cell[], ev: Dataset, log: (m: string) => void): Promise<number> {
  const clf = await loadClassifier(o.classifier);
  const real = toImageBatch(
    ev,
    Array.from({ length: Math.min(ev.n, 1000) }, (_, i) => i),
  );
  let total = 0;
  const seen = new Map<string, number>();
  for (const c of cells) {
    const key = `${c.loss}-${c.model}`;
    let s = seen.get(key);
    if (s === undefined) {
      const cfg: TrainConfig = resolveConfig(c.config);
      const cpu0 = process.cpuUsage(),
        w0 = performance.now();
      const t = measureCell(cfg, { steps: 3, classifier: clf.model, real });
      const cpu = process.cpuUsage(cpu0);
      const share = (cpu.user + cpu.system) / 1e3 / (performance.now() - w0);
      s = projectRunSeconds(cfg, t);
      seen.set(key, s);
      log(
        `  ${key.padEnd(16)} critic step ${(t.critic * 1000).toFixed(0)} ms, generator step ${(t.generator * 1000).toFixed(0)} ms, measurement ${t.probe.toFixed(1)} s → ${(s / 60).toFixed(1)} min per run (this process got ${share.toFixed(2)} of ${os.cpus().length} cores)`,
      );
    }
    total += s;
  }
  clf.model.dispose();
  log(
    `grid of ${cells.length} runs: ≈ ${(total / 3600).toFixed(2)} h at the speed measured now (load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ')})`,
  );
  return total;
}

/** Train the grid (resuming what is on disk) and write the report; see the file comment. */
export async function runClaims(input: ClaimsOptionsInput, cb: ClaimsCallbacks = {}): Promise<ClaimsResult> {
  const o = resolveClaimsOptions(input);
  const log = cb.onLog ?? (() => {});
  const cells = gridCells(o);
  for (const c of cells) resolveConfig(c.config); // every run's config is valid before anything runs
  const result: ClaimsResult = { dir: o.out, aborted: false, files: [], claims: [] };

  const needData = !o.reportOnly;
  const ds =
    cb.dataset ??
    (needData && !o.estimate
      ? await loadDataset({
          data: o.data,
          size: o.size,
          channels: o.channels,
          split: 'train',
          ...(o.limit ? { limit: o.limit } : {}),
          onWarning: log,
        })
      : undefined);
  const ev =
    cb.evalDataset ??
    (needData
      ? await loadDataset({
          data: o.data,
          size: o.size,
          channels: o.channels,
          split: 'test',
          limit: 1000,
          onWarning: log,
        })
      : undefined);
  if (o.estimate) {
    result.estimateSeconds = await estimate(o, cells, ev!, log);
    return result;
  }
  const commands = o.reportOnly ? recordCommand(o.out, o, undefined) : recordCommand(o.out, o, cb.command);

  if (!o.reportOnly) {
    log(
      `experiment claims: ${cells.length} runs (${o.losses.join(', ')} × ${o.models.join(', ')} × ${o.seeds} seeds), ${o.iters} iterations each, in ${path.join(o.out, 'runs')}`,
    );
    for (const [i, c] of cells.entries()) {
      if (cb.signal?.aborted) {
        result.aborted = true;
        break;
      }
      const st = cellState(c);
      if (st.diverged) {
        cb.onCell?.(c, i, cells.length, 'skip-diverged');
        continue;
      }
      if (st.step >= o.iters) {
        cb.onCell?.(c, i, cells.length, 'skip-done');
        continue;
      }
      const resume = st.started;
      cb.onCell?.(c, i, cells.length, resume ? 'resume' : 'start');
      try {
        // On resume every key is checked against the run's config.json (only iters and the cadences may differ).
        const r = await train(c.config, {
          out: c.dir,
          resume,
          ...definedKeys({ dataset: ds, evalDataset: ev, signal: cb.signal }),
          ...(cb.command ? { command: cb.command } : {}),
          onLog: (m) => log(`[${c.name}] ${m}`),
          onProgress: (p) => cb.onProgress?.(c, p),
        });
        disposeModel(r.models);
        if (r.aborted) {
          cb.onCell?.(c, i, cells.length, 'stopped');
          result.aborted = true;
          break;
        }
        cb.onCell?.(c, i, cells.length, 'done');
      } catch (e) {
        if (e instanceof UserError && new RunDir(c.dir).diverged()) {
          log(`[${c.name}] ${e.message}`);
          cb.onCell?.(c, i, cells.length, 'diverged');
          continue;
        }
        if (e instanceof UserError)
          throw new UserError(
            `experiment claims: run ${c.name}: ${e.message}${/differs from the run's config/.test(e.message) ? ' (the experiment folder holds runs with other settings: use another --out)' : ''}`,
          );
        throw e;
      }
    }
    if (result.aborted) return result;
  }

  // The report, from what is on disk.
  let classes = 10;
  if (o.classifier) {
    const clf = await loadClassifier(o.classifier);
    classes = clf.manifest.classNames.length;
    clf.model.dispose();
  }
  const records: RunRecord[] = cells.map((c) => {
    const run = new RunDir(c.dir);
    const st = cellState(c);
    const d = run.diverged();
    return {
      name: c.name,
      loss: c.loss,
      model: c.model,
      seed: c.seed,
      iters: o.iters,
      stats: run.readStats(),
      diverged: d ? { iter: d.iter, key: d.key } : null,
      trainSeconds: st.trainSeconds,
    };
  });
  const runs = records.map((r) => summariseRun(r, classes));
  const claims = answerClaims(runs);
  result.claims = claims;
  result.files = await writeClaimsReport(o.out, {
    options: gridOptions(o),
    commands,
    runs,
    cells: summariseCells(runs),
    claims,
    runDirs: Object.fromEntries(cells.map((c) => [c.name, c.dir])),
    machine: { backend: activeBackend(), cores: os.cpus().length, loadAverage: os.loadavg() },
    ...(cb.note ? { note: cb.note } : {}),
  });
  return result;
}
