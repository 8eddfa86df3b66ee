/**
 * Registry of the non-learned inpainting baselines, keyed by `kind`. Each baseline is
 * `(y, masks) => ImageBatch`: y is NHWC in [0,1], masks are H×W with 1 = known (one per image or one
 * shared); the result keeps the known pixels and fills the hole.
 */
import { defineRegistry, type KindOf } from '../util/registry.js';
import type { Baseline } from './common.js';
import { meanFill, nearestFill, zeroFill } from './fills.js';
import { telea } from './telea.js';

export interface BaselineSpec {
  kind: string;
  /** One line for help texts and reports. */
  description: string;
  inpaint: Baseline;
}

const SPECS = [
  { kind: 'zero', description: 'fill the hole with 0', inpaint: zeroFill },
  { kind: 'mean', description: 'fill the hole with the per-channel mean of the known pixels', inpaint: meanFill },
  { kind: 'nearest', description: 'copy the Euclidean-nearest known pixel', inpaint: nearestFill },
  {
    kind: 'telea',
    description: "Telea's fast-marching inpainting (OpenCV INPAINT_TELEA algorithm, radius 3)",
    inpaint: (y, m) => telea(y, m),
  },
] as const satisfies readonly BaselineSpec[];

const REGISTRY = defineRegistry('baseline', SPECS);
/** 'zero' | 'mean' | 'nearest' | 'telea'. */
export type BaselineKind = KindOf<typeof REGISTRY>;
export const BASELINES: Readonly<Record<BaselineKind, BaselineSpec>> = REGISTRY.byKind;
export const BASELINE_KINDS: readonly BaselineKind[] = REGISTRY.kinds;

/** The baseline registered as `kind`; UserError listing the valid kinds otherwise. */
export const getBaseline = (kind: string): BaselineSpec => REGISTRY.get(kind);

export type { Baseline } from './common.js';
export { meanFill, nearestFill, nearestKnownIndex, zeroFill } from './fills.js';
export { telea, teleaFillImage } from './telea.js';
export type { TeleaOptions } from './telea.js';
