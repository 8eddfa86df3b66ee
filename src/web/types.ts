/** The API's JSON shapes as the page uses them (the shared ones come from src/server/api.ts, which has no imports). */

/** GET /api/models entries (the server's own type). */
export type { ModelInfo as ModelInfoLite } from '../server/api.js';

export interface ServerConfig {
  maskKinds: { kind: string; describe: string }[];
  limits: { maxIters: number; maxRestarts: number; maxPixels: number; maxBodyBytes: number };
  /** Accepted upload formats (src/inpaint/surface.ts IMAGE_FORMATS). */
  formats?: readonly string[];
  defaults: {
    iters: number;
    restarts: number;
    lambda: number;
    lr: number;
    seed: number;
    blend: string;
    init: string;
    encoder: { iters: number; restarts: number };
  };
  backend: string | null;
  run: boolean;
}

import type { Resize } from '../server/api.js';
export type { Resize } from '../server/api.js';

/** The `result` event of POST /api/inpaint (and the browser run's outcome): PNG data URLs at model size. */
export interface InpaintOutcome {
  input: string;
  mask: string;
  masked: string;
  raw: string;
  composite: string;
  blended: string;
  losses: { contextual: number; prior: number; total: number; restart: number };
  resize: Resize;
  seconds: number;
  backend?: string;
  /** Where the search started (the page fills it in from the `start` event on the server). */
  start?: 'encoder' | 'random';
  /** The convention `mask` is in (white = hole by default); absent from servers before #31: known-white. */
  maskConvention?: 'hole-white' | 'known-white';
  /** Out-of-domain verdict, when the model is calibrated (src/inpaint/domain.ts); null otherwise. */
  domain?: { knownError: number; threshold: number; unlike: boolean; message?: string } | null;
}
