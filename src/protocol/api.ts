/**
 * The HTTP API's wire protocol, in one place for both ends: the server (src/server) writes it and the
 * page (src/web) reads it. Platform-neutral (no Node module, no DOM), so the page bundles it.
 *
 * - GET /api/models → ModelInfo[]
 * - GET /api/config → ServerConfig
 * - POST /api/inpaint → a Server-Sent Events stream of ServerEvent: `queued`* `start` `progress`*
 *   then `result` or `error` (the last event; the stream ends after it).
 *
 * The events are one discriminated union on `event`: the server can only send, and the page can only
 * handle, the shapes written here (`encodeEvent` / `decodeEvent`).
 */
import type { DomainCheck, DomainStats } from '../inpaint/domain_types.js';
import type { InpaintOptions, Start } from '../inpaint/options.js';
import type { ImageLosses } from '../inpaint/search.js';
import type { MaskConvention } from '../masks/convention.js';

/** What GET /api/models tells about a model. */
export interface ModelInfo {
  name: string;
  size: number;
  channels: number;
  nz: number;
  /** URLs of the two networks' model.json, for tf.loadLayersModel in the browser. */
  generator: string;
  critic: string;
  samples: string[];
  /**
   * The model's encoder (src/encoder), checked against this generator by the server: URLs of its
   * model.json (plain TF.js layers model) and manifest.json, and the generator digest it names (the
   * page checks it again on the weights it loads). null when the model has none.
   */
  encoder: { model: string; manifest: string; digest: string } | null;
  /** How uploads are fitted by default: crop for a model trained on crops (--crop), else whole (src/inpaint/fit.ts). */
  fit: 'whole' | 'crop';
  manifest: {
    step: number;
    loss: string;
    /** Model kind (dcgan, mlp). */
    model: string;
    data: string;
    dataset?: string;
    gWidth: number;
    dWidth: number;
    criticNorm: string;
    library: string;
    createdAt: string;
    trainSeconds?: number;
    /** The last training stat line (numbers, and the collapse/explosion flags). */
    metrics?: Record<string, number | boolean>;
  };
  /** What the model expects, in words, and its out-of-domain statistics (calibrated models only). */
  expects?: string;
  domain?: DomainStats;
}

/** What GET /api/config answers: the server's mask kinds, limits and the library's option defaults. */
export interface ServerConfig {
  maskKinds: { kind: string; describe: string }[];
  /** The server's limits (src/server/request.ts Limits; the page reads these four). */
  limits: { maxIters: number; maxRestarts: number; maxPixels: number; maxBodyBytes: number };
  /** Accepted upload formats (src/inpaint/surface.ts IMAGE_FORMATS). */
  formats: readonly string[];
  /**
   * The library's defaults (src/inpaint/options.ts), for clients: iterations × restarts from random z,
   * and from an encoder's z under `encoder`. The page computes its own form from the same schema
   * (src/protocol/convert.ts formDefaults), so the two cannot differ.
   */
  defaults: {
    iters: number;
    restarts: number;
    lambda: number;
    lr: number;
    seed: number;
    blend: InpaintOptions['blend'];
    init: InpaintOptions['init'];
    encoder: { iters: number; restarts: number };
  };
  /** The backend the server's workers run on, once known (null before). */
  backend: string | null;
  /** Whether the server shows a training run (GET /api/run). */
  run: boolean;
}

/** Where a job's search starts (`start` event): the encoder's z or random z. */
export type SearchStart = Start;

/** How the upload reaches the model (src/inpaint/fit.ts), reported in the `start` and `result` events. */
export interface Resize {
  /** The uploaded image's size, px: every returned image (but the previews) has it. */
  from: { width: number; height: number };
  /** The model's size, px (s×s): the previews of G(z) have it. */
  to: { width: number; height: number };
  /** whole: the whole upload, aspect kept, completed at the model's size; crop: a square around each hole region. */
  fit: 'whole' | 'crop';
  /** The parts of the upload completed at the model's size (px of the upload): one for whole, one per hole region for crop. */
  regions: { left: number; top: number; width: number; height: number }[];
  resized: boolean;
}

/** `queued`: the request's place in line (1 = next), sent whenever it changes while it waits. */
export interface QueuedData {
  position: number;
}

/** `start`: the job runs; what it resolved to (the options every surface resolves, src/inpaint/surface.ts). */
export interface StartData {
  model: string;
  start: SearchStart;
  iters: number;
  restarts: number;
  options: InpaintOptions;
  resize: Resize;
  /** Fraction of the image's pixels that are hole, [0, 1]. */
  holeFraction: number;
  maskConvention: MaskConvention;
  /** A mask that makes most of the image a hole (likely the other convention): one line. */
  warning?: string;
}

/** `progress`: the search's iteration and losses; `preview`, a PNG data URL of G(z) at the model's size, about 20 times per run. */
export interface ProgressData {
  iter: number;
  iters: number;
  contextual: number;
  prior: number;
  preview?: string;
}

/** `result`: the completed image, every image a PNG data URL at the upload's size. */
export interface ResultData {
  input: string;
  /** The mask, in `maskConvention` (white = hole by default). */
  mask: string;
  maskConvention: MaskConvention;
  masked: string;
  raw: string;
  composite: string;
  blended: string;
  /** The kept restart's losses; zeros when no search ran (a mask without a hole). */
  losses: ImageLosses;
  /** Out-of-domain verdict, when the model is calibrated (src/inpaint/domain.ts); null otherwise. */
  domain: DomainCheck | null;
  resize: Resize;
  seconds: number;
  /** The backend that computed it (null when unknown). */
  backend: string | null;
}

/** `error`: the job failed (one line); the last event. */
export interface ErrorData {
  error: string;
}

/** Every event of the POST /api/inpaint stream. */
export type ServerEvent =
  | { event: 'queued'; data: QueuedData }
  | { event: 'start'; data: StartData }
  | { event: 'progress'; data: ProgressData }
  | { event: 'result'; data: ResultData }
  | { event: 'error'; data: ErrorData };

export type EventName = ServerEvent['event'];
export const EVENT_NAMES: readonly EventName[] = ['queued', 'start', 'progress', 'result', 'error'];

/** One event as it goes on the stream (`event:` line, one `data:` line of JSON, a blank line). */
export function encodeEvent(e: ServerEvent): string {
  return `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
}

/**
 * An event read off the stream (its name and data text, src/web/sse.ts), or null for a name this
 * protocol does not have (ignored, so a newer server's extra events do not break an older page).
 * The data is trusted to match its event: it comes from the server that served the page.
 */
export function decodeEvent(event: string, data: string): ServerEvent | null {
  if (!(EVENT_NAMES as readonly string[]).includes(event)) return null;
  return { event, data: JSON.parse(data) } as ServerEvent;
}

/** The result as the page keeps it: the `result` event, with where its search started (from `start`, or the browser run's own). */
export type InpaintOutcome = ResultData & { start?: SearchStart };
