/**
 * The internal entry (`wgan-inpaint/internal`): the public API plus the building blocks behind it —
 * training steps (`makeTrainer`, `criticStep`), losses, probes, the claims analysis, plots, run
 * folders, manifests, the fit's plans, the domain statistics, the encoder's training pieces. For the
 * project's own tests, tools and benchmarks (which may also import modules directly); not a
 * contract: any of it may change in any release. The public entries are src/index.ts and
 * src/core.ts (docs/API.md).
 */
export * from './index.js';
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

export { initBackend, activeBackend, BACKEND_KINDS, type BackendKind } from './backends/index.js';
export { installTfjsPatches, type AppliedPatches } from './backends/tfjs_patches.js';
export { train, writePlot, type TrainOptions, type TrainResult, type Progress, type StatLine } from './train/loop.js';
export {
  loadGanCheckpoint,
  saveCheckpoint,
  listCheckpoints,
  listShippedModels,
  resolveCheckpointDir,
  type Checkpoint,
} from './train/checkpoint.js';
export { readManifest, parseManifest, updateManifest, ManifestSchema, type Manifest } from './train/manifest.js';
export { RunDir } from './train/run_dir.js';
export {
  trainEncoder,
  type EncoderTrainOptions,
  type EncoderTrainResult,
  type EncoderStatLine,
} from './encoder/loop.js';
export {
  loadCheckpoint,
  loadEncoder,
  saveEncoder,
  resolveEncoderDir,
  modelEncoderDir,
  attachEncoder,
  installEncoder,
  type LoadedEncoder,
  type AttachedEncoder,
} from './encoder/checkpoint.js';
export {
  inpaintFiles,
  prepareInpaintFiles,
  type InpaintFilesSpec,
  type InpaintFilesPlan,
  type InpaintFilesHooks,
  type InpaintFilesSummary,
  type InpaintFilesImage,
} from './inpaint/files_node.js';
export { runEval, EvalRunSchema, type EvalRunOptions, type EvalRun, type EvalRunCallbacks } from './eval/run_eval.js';
export {
  runClaims,
  resolveClaimsOptions,
  ClaimsOptionsSchema,
  CLAIMS_DEFAULTS,
  type ClaimsOptionsInput,
  type ClaimsCallbacks,
  type ClaimsResult,
} from './experiment/claims.js';
export { writeClaimsReport } from './experiment/report.js';
export { loadDataset, type LoadOptions } from './data/load_node.js';
export { toImageBatch, fillBatch, type Dataset, type DatasetSource } from './data/dataset.js';
export { BatchSampler } from './data/sampler.js';
export { DATASETS } from './data/registry.js';
export { EMOJI_SOURCES, type EmojiSourceInfo } from './data/emoji.js';
export { readImage, decodeImage, writePng, encodePng, readMask, makeGrid } from './io/image.js';
export { fdClassifier } from './classifier/fd.js';
