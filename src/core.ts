/**
 * The platform-neutral public API: everything here runs in Node and in the browser (no `node:*`,
 * no sharp, no DOM). Node-only pieces (training loop, checkpoints on disk, image files, backends
 * selection) are added by `src/index.ts`.
 *
 * Conventions: images are `ImageBatch` (NHWC Float32Array in [0, 1]); masks are `Mask` (H×W,
 * 1 = known pixel, 0 = hole).
 */
export type { ImageBatch, Mask } from './types.js';
export { imageAt, stackImages, imageSize } from './types.js';
export { Rng } from './util/rng.js';
export { UserError } from './util/errors.js';
export { VERSION, CHECKPOINT_FORMAT } from './version.js';

export {
  resolveConfig,
  defaultConfig,
  formatConfig,
  LOSS_PRESETS,
  type TrainConfig,
  type TrainConfigInput,
} from './config/config.js';
export {
  buildModels,
  MODELS,
  MODEL_REGISTRY,
  type ModelSpec,
  type GanModels,
  type ModelKind,
} from './models/index.js';
export { buildGenerator, buildCritic } from './models/dcgan.js';
export { buildMlpGenerator, buildMlpCritic, MLP_DEFAULT_WIDTH } from './models/mlp.js';
export { DiffLeakyReLU, LayerNorm, diffLeakyRelu } from './models/layers.js';
export { sample, sampleZ, generate, toModelRange, fromModelRange } from './models/sample.js';
export {
  criticLoss,
  generatorLoss,
  gradientPenalty,
  ganDiscriminatorLoss,
  ganGeneratorLoss,
  clipWeights,
  LOSSES,
  LOSS_KINDS,
  type AdversarialLoss,
  type CriticObjective,
  type CriticInput,
  type LossPreset,
  type EstimateInfo,
} from './losses/index.js';
export { makeTrainer, criticStep, generatorStep, criticIters, type Trainer, type CriticStats } from './train/steps.js';

export { makeMask, invertMask, holeFraction, resizeMaskNearest, MASK_KINDS, type MaskOptions } from './masks/masks.js';
export {
  maskFromPixels,
  maskToGrey,
  holeWarning,
  parseMaskConvention,
  MASK_CONVENTIONS,
  DEFAULT_MASK_CONVENTION,
  HOLE_WARNING_FRACTION,
  type MaskConvention,
} from './masks/convention.js';
export {
  InpaintOptionsSchema,
  resolveInpaintOptions,
  DEFAULT_INPAINT,
  INPAINT_BOUNDS,
  INPAINT_OPTION_FIELDS,
  INIT_KINDS,
  INIT_DEFAULTS,
  startFor,
  type InpaintOptions,
  type OptionField,
  type InitKind,
  type Start,
} from './inpaint/options.js';
export {
  latentSearch,
  resolveFor,
  type InitZ,
  type SearchResult,
  type ImageLosses,
  type InpaintModel,
  type InpaintProgress,
  type InpaintCallbacks,
} from './inpaint/search.js';
export { finishFill, type FinishedFill } from './inpaint/finish.js';
export {
  fitToModel,
  planFit,
  planCrops,
  holeRegionBoxes,
  fitImage,
  fitMask,
  fitBack,
  assembleFills,
  FIT_MODES,
  MAX_REGIONS,
  type FitMode,
  type FitPlan,
  type Fitted,
  type Rect,
} from './inpaint/fit.js';
export {
  calibrateDomain,
  knownStats,
  statsScore,
  KNOWN_STAT_NAMES,
  checkDomain,
  knownError,
  knownFraction,
  domainThreshold,
  DomainStatsSchema,
  KNOWN_BINS,
  type DomainStats,
  type DomainCheck,
  type CalibrateOptions,
} from './inpaint/domain.js';
export { inpaint, inpaintImages, type InpaintResult, type FittedResult } from './inpaint/inpaint.js';
export { importanceWeights } from './inpaint/weights.js';
export { poissonBlend, poissonBlendBatch, holeBox } from './inpaint/poisson.js';
export { composite, applyMask } from './inpaint/composite.js';
export { resizeBilinear } from './io/resize.js';

export {
  psnr,
  ssim,
  l1,
  mse,
  frechetDistance,
  frechetFromStats,
  holeRegions,
  meanFinite,
  METRICS,
} from './metrics/index.js';
export {
  classHistogram,
  modesCovered,
  klToUniform,
  meanPairwiseDistance,
  isCollapsed,
  isExploding,
  spearman,
} from './metrics/index.js';
export { makeProbe, explodedSince, type Probe, type ProbeResult } from './train/probe.js';
export {
  summariseRun,
  summariseCells,
  answerClaims,
  RULES as CLAIM_RULES,
  type RunRecord,
  type RunSummary,
  type ClaimAnswer,
} from './experiment/analysis.js';
export { measureCell, projectRunSeconds, type StepTimes } from './experiment/budget.js';
export { BASELINES } from './baselines/index.js';

export { buildEncoder, encode, encoderFill, encoderInput, encoderShape, type EncoderSpec } from './encoder/model.js';
export { encoderStart, chooseInit, type InitChoice } from './encoder/init.js';
export { encoderLosses, type EncoderLossWeights, type EncoderLossInput, type EncoderLosses } from './encoder/losses.js';
export { makeEncoderTrainer, encoderStep, type EncoderTrainer, type EncoderStepStats } from './encoder/step.js';
export { trainingMask, trainingMasks, TRAINING_MASK_KINDS } from './encoder/masks.js';
export {
  generatorDigest,
  checkEncoderFor,
  parseEncoderManifest,
  EncoderManifestSchema,
  type EncoderManifest,
} from './encoder/manifest.js';
export {
  EncoderConfigSchema,
  resolveEncoderConfig,
  type EncoderConfig,
  type EncoderConfigInput,
} from './encoder/config.js';
