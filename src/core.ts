/**
 * The platform-neutral public API (`wgan-inpaint/core`): everything here runs in Node and in the
 * browser (no `node:*`, no sharp, no DOM). Node-only pieces (training, checkpoints on disk, image
 * files, backend selection) are added by `src/index.ts`. What is not exported here or there is
 * internal (`wgan-inpaint/internal`, src/internal.ts) and may change in any release; the names are
 * pinned by src/index.test.ts and listed in docs/API.md.
 *
 * Conventions: images are `ImageBatch` (NHWC Float32Array in [0, 1]); masks are `Mask` (H×W,
 * 1 = known pixel, 0 = hole).
 */
export type { ImageBatch, Mask } from './types.js';
export { imageAt, stackImages, imageSize } from './types.js';
export { UserError } from './util/errors.js';
export { VERSION } from './version.js';

export { resolveConfig, defaultConfig, type TrainConfig, type TrainConfigInput } from './config/config.js';
export {
  buildModels,
  disposeModel,
  MODEL_REGISTRY,
  type ModelSpec,
  type GanModels,
  type ModelKindName,
} from './models/index.js';
export { sample, sampleZ, generate } from './models/sample.js';
export { LOSS_KINDS, type LossKind } from './losses/index.js';

export { makeMask, invertMask, holeFraction, MASK_KINDS, type MaskOptions, type MaskKindName } from './masks/masks.js';
export {
  maskFromPixels,
  MASK_CONVENTIONS,
  DEFAULT_MASK_CONVENTION,
  type MaskConvention,
} from './masks/convention.js';
export {
  InpaintOptionsSchema,
  resolveInpaintOptions,
  DEFAULT_INPAINT,
  INPAINT_BOUNDS,
  INIT_KINDS,
  INIT_DEFAULTS,
  type InpaintOptions,
  type InitKind,
  type Start,
} from './inpaint/options.js';
export {
  latentSearch,
  type InitZ,
  type SearchResult,
  type ImageLosses,
  type InpaintModel,
  type InpaintProgress,
  type InpaintCallbacks,
} from './inpaint/search.js';
export { finishFill, type FinishedFill } from './inpaint/finish.js';
export { fitToModel, fitBack, FIT_MODES, type FitMode, type FitPlan, type Fitted } from './inpaint/fit.js';
export type { DomainStats, DomainCheck } from './inpaint/domain.js';
export { inpaint, inpaintImages, type InpaintResult, type FittedResult } from './inpaint/inpaint.js';
export { poissonBlend } from './inpaint/poisson.js';
export { composite, applyMask } from './inpaint/composite.js';
export { resizeBilinear } from './io/resize.js';

export { psnr, ssim, l1, mse, frechetDistance, holeRegions } from './metrics/index.js';
export { BASELINES } from './baselines/index.js';

export { encode, encoderFill, type EncoderSpec } from './encoder/model.js';
export { encoderStart } from './encoder/init.js';
export type { EncoderManifest } from './encoder/manifest.js';
export type { EncoderConfigInput } from './encoder/config.js';
