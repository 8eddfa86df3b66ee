/**
 * The run folder: its layout and its append-only records, owned here and nowhere else.
 *
 *   RUN_DIR/
 *     config.json        resolved config (written at start)
 *     stats.jsonl        one JSON line per generator iteration (append-only; StatLine)
 *     samples/iter-NNNNNNN.png, samples/latest.png   grid from a fixed z, every sampleEvery iterations
 *     plot.svg, plot.png Wasserstein estimate and losses over iterations, refreshed with the samples
 *     checkpoints/iter-NNNNNNN/   see checkpoint.ts (its manifest: manifest.ts)
 *     diverged.json      only after training stopped on a NaN/Inf (iteration, value, last good checkpoint);
 *                        removed when the run is resumed (train and train-encoder alike: train/harness.ts)
 *     encoder/           train-encoder only: the finished encoder
 *
 * The training loop writes it; the CLI, the server (GET /api/run) and the tools read it through this
 * module, so a file name or line format changes in one place.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic, writeDirAtomic } from '../io/atomic.js';
import { UserError } from '../util/errors.js';
import { readManifest, MANIFEST_FILE } from './manifest.js';
import type { TrainConfig } from '../config/config.js';

/** The run folder's checkpoints folder, and the name of each checkpoint in it. */
export const CHECKPOINTS_SUBDIR = 'checkpoints';
const CHECKPOINT_NAME = /^iter-\d+$/;

/** Checkpoint (and sample grid) name for a step; zero-padded so names sort in step order. */
export function checkpointName(step: number): string {
  return `iter-${String(step).padStart(7, '0')}`;
}

/** One line of stats.jsonl. */
export interface StatLine {
  iter: number;
  criticLoss: number;
  /**
   * The loss's logged estimate (LOSSES.get(loss).estimate): mean D(real) − mean D(fake), the
   * Wasserstein estimate, for wgan and wgan-gp; the discriminator loss — not a Wasserstein estimate —
   * for gan. The name stays for the files already written.
   */
  wEstimate: number;
  /** Gradient penalty (the newest measured one under a lazy penalty). */
  penalty: number;
  gradNorm: number;
  genLoss: number;
  /** Real training images consumed by the critic per second over this iteration. */
  imagesPerSec: number;
  /** Seconds since the run (or resume) started. */
  time: number;
  /** FD-classifier of 1000 samples vs real test images, at iterations where it was measured. */
  fdClassifier?: number;
  // Measured with fdClassifier (src/train/probe.ts; thresholds in src/metrics/diversity.ts):
  /** Classes of the classifier that get ≥ ¼ of their uniform share of the samples. */
  modes?: number;
  /** KL(class histogram of the samples ‖ uniform), nats (0 = uniform, ln 10 = one class of 10). */
  klUniform?: number;
  /** Mean pairwise RMS distance of 64 fixed-z samples, [0, 1] pixel units. */
  spread?: number;
  /** spread / the same of 64 real test images. */
  spreadRatio?: number;
  /** spreadRatio < 0.25: the samples have collapsed to (nearly) one image. */
  collapsed?: boolean;
  /** The critic's estimate or loss exploded since the previous measurement (> 100 × its median so far). */
  exploding?: boolean;
  /** Live TF.js tensors after the iteration (constant in a healthy run). */
  tensors: number;
  /** Resident memory of the process, MiB (steady in a healthy run). */
  rssMB: number;
}

/** What diverged.json holds. */
export interface DivergedRecord {
  iter: number;
  /** The stats key that was not finite, and its value as text ('NaN', 'Infinity'). */
  key: string;
  value: string;
  /** Last good checkpoint folder ('' = none yet). */
  lastGood: string;
}

/**
 * `S` is the stats line type: StatLine for GAN training, the encoder's own for `train-encoder`
 * (src/encoder/loop.ts), which shares this layout.
 */
export class RunDir<S extends { iter: number } = StatLine> {
  constructor(readonly dir: string) {}

  get configFile(): string {
    return path.join(this.dir, 'config.json');
  }
  get statsFile(): string {
    return path.join(this.dir, 'stats.jsonl');
  }
  get samplesDir(): string {
    return path.join(this.dir, 'samples');
  }
  get latestSamples(): string {
    return path.join(this.samplesDir, 'latest.png');
  }
  get plotSvg(): string {
    return path.join(this.dir, 'plot.svg');
  }
  get plotPng(): string {
    return path.join(this.dir, 'plot.png');
  }
  get checkpointsDir(): string {
    return path.join(this.dir, 'checkpoints');
  }
  get divergedFile(): string {
    return path.join(this.dir, 'diverged.json');
  }
  /** `train-encoder`'s finished encoder (no optimizer state); named as a model's encoder/ so the run folder resolves as an encoder. */
  get encoderDir(): string {
    return path.join(this.dir, 'encoder');
  }

  samplesAt(step: number): string {
    return path.join(this.samplesDir, `${checkpointName(step)}.png`);
  }
  checkpointAt(step: number): string {
    return path.join(this.checkpointsDir, checkpointName(step));
  }

  /** Whether the folder has a checkpoints folder at all (a run folder, as opposed to a checkpoint). */
  hasCheckpointsDir(): boolean {
    return fs.existsSync(this.checkpointsDir);
  }

  /**
   * Every checkpoint folder by name, oldest first, also those without a manifest.json (damaged or
   * being written: temporary folders of interrupted writes have other names and are not listed).
   */
  checkpointFolders(): string[] {
    if (!this.hasCheckpointsDir()) return [];
    return fs
      .readdirSync(this.checkpointsDir)
      .filter((n) => CHECKPOINT_NAME.test(n))
      .sort()
      .map((n) => path.join(this.checkpointsDir, n));
  }

  /** Complete checkpoints (with a manifest.json), oldest first. */
  checkpoints(): string[] {
    return this.checkpointFolders().filter((d) => fs.existsSync(path.join(d, MANIFEST_FILE)));
  }

  writeConfig(c: TrainConfig | object): void {
    fs.mkdirSync(this.dir, { recursive: true });
    writeFileAtomic(this.configFile, `${JSON.stringify(c, null, 2)}\n`);
  }

  /** Every stats line; a line cut by a kill (the last one) is skipped. */
  readStats(): S[] {
    if (!fs.existsSync(this.statsFile)) return [];
    return fs
      .readFileSync(this.statsFile, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as S];
        } catch {
          return [];
        }
      });
  }

  appendStats(s: S): void {
    fs.appendFileSync(this.statsFile, `${JSON.stringify(s)}\n`);
  }

  /** Keep only the lines up to `step` (a resume drops what a dead process wrote after its checkpoint). */
  truncateStats(step: number): void {
    const kept = this.readStats().filter((s) => s.iter <= step);
    writeFileAtomic(this.statsFile, kept.map((s) => `${JSON.stringify(s)}\n`).join(''));
  }

  clearStats(): void {
    fs.rmSync(this.statsFile, { force: true });
  }

  /**
   * Copy the run's resumable state to `dest`, replacing what is there: config.json, stats.jsonl,
   * the plot, the latest sample grid and the NEWEST checkpoint only (generator, critic, optimizer,
   * sampler and RNG state). `train --out dest --resume` then continues exactly as the run would have
   * — this is how a long training run crosses machines (training/NAME/ in the repository). Written
   * atomically as a whole folder. Returns the checkpoint copied.
   */
  async exportResumable(dest: string): Promise<string> {
    const ck = this.checkpoints().at(-1);
    if (!ck) throw new UserError(`run folder '${this.dir}' has no complete checkpoint to export`);
    const to = new RunDir(dest);
    await writeDirAtomic(dest, (tmp) => {
      const t = new RunDir(tmp);
      for (const [from, into] of [
        [this.configFile, t.configFile],
        [this.statsFile, t.statsFile],
        [this.plotSvg, t.plotSvg],
        [this.plotPng, t.plotPng],
        [this.latestSamples, t.latestSamples],
      ] as const) {
        if (!fs.existsSync(from)) continue;
        fs.mkdirSync(path.dirname(into), { recursive: true });
        fs.copyFileSync(from, into);
      }
      // Only lines up to the exported checkpoint: a resume truncates to it anyway.
      t.truncateStats(readManifest(ck).step);
      fs.cpSync(ck, path.join(t.checkpointsDir, path.basename(ck)), { recursive: true });
    });
    return path.join(to.checkpointsDir, path.basename(ck));
  }

  writeDiverged(r: DivergedRecord): void {
    writeFileAtomic(this.divergedFile, `${JSON.stringify(r, null, 2)}\n`);
  }

  /** The divergence record of a run that stopped on NaN/Inf, or null. */
  diverged(): DivergedRecord | null {
    if (!fs.existsSync(this.divergedFile)) return null;
    try {
      return JSON.parse(fs.readFileSync(this.divergedFile, 'utf8')) as DivergedRecord;
    } catch {
      return null;
    }
  }

  clearDiverged(): void {
    fs.rmSync(this.divergedFile, { force: true });
  }

  /** What GET /api/run shows: iterations logged, the last line, and which pictures exist (mtime, ms). */
  summary(): {
    iterations: number;
    last: S | null;
    samples: number | null;
    plot: number | null;
    diverged: DivergedRecord | null;
  } {
    const stats = this.readStats();
    const mtime = (f: string) => (fs.existsSync(f) ? fs.statSync(f).mtimeMs : null);
    return {
      iterations: stats.length,
      last: stats.at(-1) ?? null,
      samples: mtime(this.latestSamples),
      plot: mtime(this.plotSvg),
      diverged: this.diverged(),
    };
  }
}
