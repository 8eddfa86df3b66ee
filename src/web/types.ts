/** The API's JSON shapes as the page uses them (mirrors src/server; no Node imports here). */

export interface ModelInfoLite {
  name: string;
  size: number;
  channels: number;
  nz: number;
  generator: string;
  critic: string;
  samples: string[];
  manifest: { step: number; loss: string; data: string; dataset?: string; gWidth: number; dWidth: number; trainSeconds?: number };
}

export interface ServerConfig {
  maskKinds: { kind: string; describe: string }[];
  limits: { maxIters: number; maxRestarts: number; maxImageSide: number; maxBodyBytes: number };
  defaults: { iters: number; restarts: number; lambda: number; lr: number; seed: number; blend: string };
  backend: string | null;
  run: boolean;
}

export interface Resize {
  from: { width: number; height: number };
  crop: { left: number; top: number; side: number };
  to: { width: number; height: number };
  resized: boolean;
}

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
}
