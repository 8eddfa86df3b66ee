/**
 * What travels through Redis between a producer (`batch`, `serve --redis`) and a `worker`: one job
 * is a chunk of images searched as one batch. Plain JSON (BullMQ stores job data and return values
 * as JSON strings); file bytes are base64. Images are small (28–64 px PNGs of a few KB), so a
 * 16-image chunk is ≈ 50–100 KB each way and workers need no shared disk.
 */
import type { DomainCheck } from '../inpaint/domain_types.js';
import type { InpaintOptions, Start } from '../inpaint/options.js';
import type { ImageLosses } from '../inpaint/search.js';
import { UserError } from '../util/errors.js';
import type { MaskConvention } from '../masks/convention.js';

/**
 * Bumped when the shapes below change; a worker refuses jobs of another format. 2: `maskConvention`
 * (a format-1 worker would read a hole-white mask file as white = known).
 */
export const JOB_FORMAT = 2;
/** Queue name when none is given (`--queue`). */
export const DEFAULT_QUEUE = 'wgan-inpaint';

/**
 * The BullMQ queue a model's jobs go on: the `--queue` name, '.', the first 16 hex digits of the model
 * digest (digest.ts `modelDigest`, its encoder included). A worker listens only on its own model's
 * queue, so it never takes a job it cannot serve, and workers of several models can share one
 * `--queue` name. 64 bits: a prefix collision among the models of one deployment is negligible, and
 * the worker still compares the job's full digest (a mismatch fails that job).
 */
export function modelQueueName(queue: string, digest: string): string {
  return `${queue}.${digest.slice(0, 16)}`;
}

/**
 * Redis keys of our own beside BullMQ's (outside its `bull:` prefix, so BullMQ never sees them):
 * - `admit`: a sorted set of admissions `serve --redis` granted whose jobs are not on the queue yet
 *   (member: a random id; score: its expiry, ms of Redis time), counted with the waiting jobs;
 * - `cancel:<jobId>`: set (with a TTL) when the last client of a running job went away; the worker
 *   running it polls for it and ends the job.
 */
export const admitKey = (bullQueue: string): string => `wgan-inpaint:${bullQueue}:admit`;
export const cancelKey = (bullQueue: string, jobId: string): string => `wgan-inpaint:${bullQueue}:cancel:${jobId}`;
/** The failedReason a cancelled job ends with (its client went away): a client still waiting for it submits it again. */
export const CANCELLED = 'cancelled: its client went away';
/** A valid queue name (BullMQ keys are `bull:<name>:…`, so no ':'), or a UserError. */
export function checkQueueName(name: string): string {
  if (!/^[\w.-]{1,100}$/.test(name))
    throw new UserError(`--queue must be 1–100 letters, digits, '_', '.' or '-', got '${name}'`);
  return name;
}

/** BullMQ job name of a chunk. */
export const CHUNK_JOB = 'chunk';

/** A mask: a kind made at the image's size with a seed, or mask file bytes resized to the image (read by the job's `maskConvention`). */
export type MaskSpec = { kind: string; seed: number } | { png: string };

export interface ChunkItem {
  /** Digest of (model, image bytes, mask, options): what the result is of (`itemKey`). */
  key: string;
  /** How the user knows the image (a path relative to --input): for messages only. */
  name: string;
  /** The image file's bytes, base64 (PNG/JPEG/WebP…); decoded by the worker, so a corrupt file fails alone. */
  image: string;
  mask: MaskSpec;
}

export interface ChunkJob {
  format: typeof JOB_FORMAT;
  /** sha256 of the model's network files, its encoder's included (`modelDigest`); the job goes on that model's queue (`modelQueueName`), and a worker with another model refuses it. */
  model: string;
  options: InpaintOptions;
  /** How the items' mask files are read and their mask.png written (src/masks/convention.ts); covered by every item's key. */
  maskConvention: MaskConvention;
  items: ChunkItem[];
}

export interface ItemDone {
  key: string;
  ok: true;
  /** Output folder files, name → base64 bytes (src/io/outputs.ts). */
  files: Record<string, string>;
  losses: ImageLosses | null;
  resized: boolean;
  /** Where the search started on the worker: its model's encoder or random z (absent from older workers). */
  start?: Start;
  notice?: 'no-hole' | 'no-known';
  /** Out-of-domain verdict (src/inpaint/domain.ts), when the model is calibrated. */
  domain?: DomainCheck;
}

export interface ItemFailed {
  key: string;
  ok: false;
  /** One line naming the problem (e.g. "cannot decode 'a.png': …"). */
  error: string;
}

export type ItemResult = ItemDone | ItemFailed;

export interface ChunkResult {
  format: typeof JOB_FORMAT;
  /** One per job item, in order. */
  items: ItemResult[];
  /** Wall-clock seconds the search of the chunk took on the worker. */
  seconds: number;
  /** Who computed it (`host:pid` of the worker, or `in-process`). */
  worker: string;
  /** BullMQ's attemptsStarted when it ran (> 1: the job ran before, e.g. on a killed worker). */
  started: number;
}

/** Job progress (BullMQ `job.updateProgress`), throttled by the worker. */
export interface ChunkProgress {
  iter: number;
  iters: number;
  contextual: number;
  prior: number;
  /** PNG (base64) of G(z) of the chunk's first image, at snapshot iterations (server previews). */
  preview?: string;
}

/**
 * A finished job's return value as BullMQ's events hand it over (typed a string there; the parsed
 * object at run time, or its JSON text): the ChunkResult, or null when it is not one.
 */
export function asChunkResult(v: unknown): ChunkResult | null {
  const o = typeof v === 'string' ? safeJson(v) : v;
  return o !== null && typeof o === 'object' && Array.isArray((o as { items?: unknown }).items)
    ? (o as ChunkResult)
    : null;
}

/** A job's progress as BullMQ's events hand it over (a number or an object): the ChunkProgress, or null. */
export function asChunkProgress(v: unknown): ChunkProgress | null {
  return v !== null && typeof v === 'object' && typeof (v as { iter?: unknown }).iter === 'number'
    ? (v as ChunkProgress)
    : null;
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}

export const b64 = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
export const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
