/**
 * The out-of-domain check's shapes (no code that runs a model): the calibration stored in a model's
 * manifest (`domain`) and the verdict on one image. Apart from domain.ts so that the search, the
 * manifest, the server and the queue can name them without importing the check (domain.ts runs the
 * search to calibrate, so search.ts importing domain.ts was a circle).
 */
import { z } from 'zod';

export const Spread = z.object({ n: z.number().int().min(0), median: z.number(), p95: z.number(), max: z.number() });

/**
 * The known pixels' statistics (`knownStats`) of held-out images: an image's score is the distance,
 * in statistics divided by their held-out standard deviation, to its k-th nearest held-out row;
 * flagged above `threshold`. A nearest-neighbour distance rather than a per-statistic range: a photo
 * is usually within range on each statistic alone (some clothing is bright, some emoji dark) but in
 * a combination no held-out image has.
 */
export const StatsBand = z
  .object({
    names: z.array(z.string()),
    median: z.array(z.number()),
    scale: z.array(z.number().positive()),
    k: z.number().int().positive(),
    /** The held-out rows (statistics, rounded to 4 decimals). */
    rows: z.array(z.array(z.number())),
    /** Leave-one-out scores of the held-out rows: their 95th percentile, and the threshold drawn from it. */
    p95: z.number(),
    threshold: z.number().positive(),
    n: z.number().int().positive(),
  })
  .strict();

export const DomainStatsSchema = z
  .object({
    /** Known error of all held-out images ([0, 1] units). */
    knownError: Spread,
    /** The same per known-fraction bin (KNOWN_BINS), each with its own threshold. */
    bins: z.array(Spread.extend({ minKnown: z.number(), maxKnown: z.number(), threshold: z.number().positive() })),
    /** The threshold of a bin with too few images (that of all images). */
    threshold: z.number().positive(),
    /** Held-out images measured, and the search they were measured with. */
    n: z.number().int().positive(),
    iters: z.number().int().min(0),
    restarts: z.number().int().min(1),
    /** Its context floor (InpaintOptions.contextFloor; absent in manifests calibrated before it: 0). */
    contextFloor: z.number().min(0).max(1).optional(),
    /** Where that search started (absent in manifests calibrated before encoders: random). */
    start: z.enum(['encoder', 'random']).optional(),
    masks: z.array(z.string()),
    /** The held-out data (a built-in name or a folder's name). */
    data: z.string(),
    /** What the model expects, for people: "32×32 grey clothing, white on black". */
    expects: z.string(),
    /** The known pixels' statistics on the held-out images (absent in manifests calibrated before them: not judged). */
    knownStats: StatsBand.optional(),
  })
  .strict();

export type DomainStats = z.infer<typeof DomainStatsSchema>;
export type Band = z.infer<typeof StatsBand>;
export type SpreadOf = z.infer<typeof Spread>;

/** The verdict on one image. */
export interface DomainCheck {
  /** Its known error ([0, 1] units). */
  knownError: number;
  threshold: number;
  /** Whether it looks unlike the training data. */
  unlike: boolean;
  /** One plain line when `unlike`. */
  message?: string;
  /** Set when the search was too short (or its context floor too low) to judge the known error: the verdict is the statistics' alone. */
  searchTooShort?: true;
  /** The statistics test, when the model's calibration has it: the score, its threshold and the statistic furthest out. */
  stats?: { score: number; threshold: number; worst: string };
}
