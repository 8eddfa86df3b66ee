/**
 * JSON shapes of the HTTP API that both sides use: the server (src/server) and the page (src/web,
 * which imports only types from here — this module has only type imports, so nothing Node-only reaches
 * the browser bundle).
 */
import type { DomainStats } from '../inpaint/domain.js';

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
    metrics?: Record<string, number>;
  };
  /** What the model expects, in words, and its out-of-domain statistics (calibrated models only). */
  expects?: string;
  domain?: DomainStats;
}

/** Where a job's search starts (`start` event): the encoder's z or random z. */
export type SearchStart = 'encoder' | 'random';

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
