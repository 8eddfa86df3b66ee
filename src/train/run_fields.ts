/**
 * The manifest fields every training run records, whatever it trains (the GAN's checkpoints,
 * src/train/manifest.ts; the encoder's, src/encoder/manifest.ts): one definition, spread into both
 * schemas. Platform-neutral (the browser validates encoder manifests).
 */
import { z } from 'zod';

export const RUN_STATE_FIELDS = {
  /** Opaque states needed to resume exactly (data order, noise / mask streams). */
  sampler: z.unknown().optional(),
  rngState: z.number().optional(),
  /** Last logged statistics (a stats.jsonl line). */
  metrics: z.record(z.unknown()).optional(),
  backend: z.string().optional(),
  /** Wall-clock seconds of training so far (summed over resumes). */
  trainSeconds: z.number().optional(),
  /** The command line that started the training run, when known. */
  command: z.string().optional(),
  /** The command lines of each `--resume`, in order. */
  resumes: z.array(z.string()).optional(),
  /** Free-form extra information (eval figures, data sources and licences, git commit, notes). */
  extra: z.record(z.unknown()).optional(),
  /**
   * `sha256:<hex>` of every file of the checkpoint but manifest.json, by '/'-separated relative path
   * (train/verify.ts), checked on load and resume. Absent in checkpoints written before it existed:
   * those load unverified.
   */
  files: z.record(z.string().regex(/^sha256:[0-9a-f]{64}$/)).optional(),
};
