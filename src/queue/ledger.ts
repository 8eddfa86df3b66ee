/**
 * The batch's ledger (batch.ts `runBatch`): the plan every executor runs (which images, which chunks,
 * which options) and the one place results are applied — each image's output folder written once,
 * its status set, the counts and the progress kept — whichever executor (executors.ts) computed them.
 */
import path from 'node:path';
import { readInputFile } from '../io/image.js';
import { writeOutputDir, type OutputFile } from '../io/outputs.js';
import type { MaskConvention } from '../masks/convention.js';
import type { InpaintOptions, Start } from '../inpaint/options.js';
import type { InpaintModel } from '../inpaint/search.js';
import type { Checkpoint } from '../train/checkpoint.js';
import { UserError } from '../util/errors.js';
import type { ImageLosses } from '../inpaint/search.js';
import { chunkId, itemKey } from './digest.js';
import { b64, unb64, JOB_FORMAT, type ChunkItem, type ChunkJob, type ItemResult, type MaskSpec } from './protocol.js';
import { definedKeys } from '../util/defined.js';

export interface BatchProgress {
  /** Images finished in this run (done or failed), and the total this run has to do. */
  finished: number;
  total: number;
  failed: number;
  /** Finished images per second since the start, counting running chunks' progress. */
  rate: number;
  eta: number;
}

export type ImageStatus = 'done' | 'skipped' | 'failed' | 'pending';

export interface ImageRecord {
  input: string;
  output: string;
  status: ImageStatus;
  reason?: string;
  losses?: ImageLosses | null;
  resized?: boolean;
  notice?: string;
  /** Where its search started (reported by whoever ran it): the model's encoder or random z. */
  start?: Start;
  /** Output folder writes in this run (exactly-once check: never more than 1). */
  writes: number;
}

/** Each image's output folder holds this beside the inpainting outputs (what it is of, losses, start). */
export const META = 'meta.json';

export interface Planned extends ImageRecord {
  file: string;
  key: string;
  mask: MaskSpec | null;
}

export interface Plan {
  maskConvention: MaskConvention;
  modelDir: string;
  digest: string;
  options: InpaintOptions;
  start: Start;
  /** One line: which start and why (attachEncoder / chooseInit). */
  startNotice: string;
  /** In-process: the loaded model (its encoder attached when it starts from it), when planning loaded it. */
  model: (Checkpoint & InpaintModel) | null;
  images: Planned[];
  /** Per chunk, the indices of its images still to do (empty chunks left out). */
  chunks: number[][];
}

/** An input file's bytes: a regular file within the byte limit only (readInputFile: fstat before reading). */
export function readBytes(file: string, what: 'image' | 'mask', maxBytes: number | undefined): Uint8Array {
  return new Uint8Array(readInputFile(file, what, maxBytes));
}

/** Why an image could not be read: the UserError's own line, else the errno. */
export const readFailure = (rel: string, e: unknown): string =>
  e instanceof UserError
    ? e.message
    : `cannot read '${rel}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;

/** A chunk's job, ready to run or submit, and which images each of its items stands for (same key: computed once). */
export interface BuiltJob {
  id: string;
  job: ChunkJob;
  keys: Map<string, number[]>;
}

export class BatchLedger {
  /** Images finished in this run (done or failed), of which failed. */
  finished = 0;
  failedNow = 0;
  /** Chunks run or submitted; extra runs of collected chunks; seconds their searches took. */
  jobs = 0;
  reruns = 0;
  computeSeconds = 0;
  readonly t0 = Date.now();
  /** Chunk index → fraction done, of the chunks running now. */
  readonly running = new Map<number, number>();
  private readonly total: number;

  constructor(
    private readonly spec: { out: string; maxBytes?: number | undefined },
    readonly plan: Plan,
    private readonly onProgress: ((p: BatchProgress) => void) | undefined,
    private readonly log: (line: string) => void,
  ) {
    this.total = plan.chunks.reduce((s, c) => s + c.length, 0);
  }

  /** Report progress (running chunks counted by their fraction done). */
  progress(): void {
    const partial = [...this.running.entries()].reduce((s, [c, f]) => s + f * (this.plan.chunks[c]?.length ?? 0), 0);
    const el = (Date.now() - this.t0) / 1000;
    const rate = el > 0 ? (this.finished + partial) / el : 0;
    this.onProgress?.({
      finished: this.finished,
      total: this.total,
      failed: this.failedNow,
      rate,
      eta: rate > 0 ? (this.total - this.finished - partial) / rate : Infinity,
    });
  }

  private image(i: number): Planned {
    const im = this.plan.images[i];
    if (!im) throw new Error(`the plan has no image ${i}`);
    return im;
  }

  /** The job of a chunk's images (read now: a file that became unreadable fails alone), or null when none is left. */
  buildJob(idx: number[]): BuiltJob | null {
    const { plan } = this;
    const items: ChunkItem[] = [];
    const keys = new Map<string, number[]>();
    for (const i of idx) {
      const im = this.image(i);
      const mask = im.mask;
      if (!mask) throw new Error(`image '${im.input}' is planned without a mask`);
      let bytes: Uint8Array;
      try {
        bytes = readBytes(im.file, 'image', this.spec.maxBytes);
      } catch (e) {
        this.fail(im, readFailure(im.input, e));
        continue;
      }
      im.key = itemKey(plan.digest, bytes, mask, plan.options, plan.maskConvention); // the file may have changed since planning
      const same = keys.get(im.key);
      if (same) same.push(i);
      else {
        keys.set(im.key, [i]);
        items.push({ key: im.key, name: im.input, image: b64(bytes), mask });
      }
    }
    if (!items.length) return null;
    this.jobs++;
    return {
      id: chunkId(items.map((x) => x.key)),
      job: {
        format: JOB_FORMAT,
        model: plan.digest,
        options: plan.options,
        maskConvention: plan.maskConvention,
        items,
      },
      keys,
    };
  }

  /** An image failed (once: a finished image stays as it is). */
  fail(im: Planned, reason: string): void {
    if (im.status !== 'pending') return;
    im.status = 'failed';
    im.reason = reason;
    this.finished++;
    this.failedNow++;
  }

  /** Every image of a chunk failed, for one reason (the whole job failed). */
  failChunk(idx: number[], reason: string): void {
    for (const i of idx) this.fail(this.image(i), reason);
  }

  /** A chunk's results: each image's output folder written (once), its record and the counts updated. */
  async apply(keys: Map<string, number[]>, items: ItemResult[]): Promise<void> {
    const { plan } = this;
    for (const r of items) {
      for (const i of keys.get(r.key) ?? []) {
        const im = this.image(i);
        if (im.status !== 'pending') continue; // a result collected twice is written once
        if (!r.ok) {
          this.fail(im, r.error);
          continue;
        }
        const meta = {
          input: im.input,
          key: im.key,
          model: plan.digest,
          losses: r.losses,
          resized: r.resized,
          ...definedKeys({ start: r.start, notice: r.notice, domain: r.domain }),
        };
        if (r.domain?.unlike) this.log(`warning: '${im.input}': ${r.domain.message}`);
        const files: OutputFile[] = Object.entries(r.files).map(([n, s]) => [n, unb64(s)]);
        files.push([META, new TextEncoder().encode(`${JSON.stringify(meta, null, 2)}\n`)]);
        await writeOutputDir(path.join(this.spec.out, im.output), files);
        im.writes++;
        im.status = 'done';
        im.losses = r.losses;
        im.resized = r.resized;
        if (r.start) im.start = r.start;
        if (r.notice) im.notice = r.notice;
        this.finished++;
      }
    }
    // Items the result did not mention (cannot happen with a well-formed result) stay visible.
    for (const idx of keys.values())
      for (const i of idx) {
        const im = this.image(i);
        if (im.status === 'pending') this.fail(im, 'the worker returned no result for this image');
      }
  }
}
