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

export { resolveConfig, defaultConfig, formatConfig, LOSS_PRESETS, type TrainConfig, type TrainConfigInput } from './config/config.js';
export { buildModels, buildGenerator, buildCritic, MODELS, type ModelSpec, type GanModels } from './models/dcgan.js';
export { DiffLeakyReLU, LayerNorm, diffLeakyRelu } from './models/layers.js';
export { sample, sampleZ, generate, toModelRange, fromModelRange } from './models/sample.js';
export { criticLoss, generatorLoss, gradientPenalty, clipWeights, LOSSES, LOSS_KINDS, type AdversarialLoss, type CriticObjective, type CriticInput, type LossPreset } from './losses/index.js';
export { makeTrainer, criticStep, generatorStep, criticIters, type Trainer, type CriticStats } from './train/steps.js';

export { makeMask, invertMask, holeFraction, resizeMaskNearest, MASK_KINDS, type MaskOptions } from './masks/masks.js';
export { inpaint, resolveInpaintOptions, DEFAULT_INPAINT, type InpaintOptions, type InpaintResult, type InpaintModel, type InpaintProgress } from './inpaint/search.js';
export { inpaintImages, type FittedResult } from './inpaint/fit.js';
export { importanceWeights } from './inpaint/weights.js';
export { poissonBlend, poissonBlendBatch } from './inpaint/poisson.js';
export { composite, applyMask } from './inpaint/composite.js';
export { resizeBilinear } from './inpaint/resize.js';

export { psnr, ssim, l1, mse, frechetDistance, frechetFromStats, holeRegions, meanFinite, METRICS } from './metrics/index.js';
export { BASELINES } from './baselines/index.js';

export { buildEncoder, encode, encoderFill, encoderInput, encoderShape, type EncoderSpec } from './encoder/model.js';
export { encoderStart, chooseInit, INIT_DEFAULTS, INIT_KINDS, type InitKind, type InitChoice } from './encoder/init.js';
export { encoderLosses, type EncoderLossWeights, type EncoderLossInput, type EncoderLosses } from './encoder/losses.js';
export { makeEncoderTrainer, encoderStep, type EncoderTrainer, type EncoderStepStats } from './encoder/step.js';
export { trainingMask, trainingMasks, TRAINING_MASK_KINDS } from './encoder/masks.js';
export { generatorDigest, checkEncoderFor, parseEncoderManifest, EncoderManifestSchema, type EncoderManifest } from './encoder/manifest.js';
export { EncoderConfigSchema, resolveEncoderConfig, type EncoderConfig, type EncoderConfigInput } from './encoder/config.js';
