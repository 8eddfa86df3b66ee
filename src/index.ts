/**
 * The Node entry point of the `wgan-inpaint` library: the platform-neutral core plus training on disk,
 * checkpoints, datasets, image files and backend selection.
 *
 * ```ts
 * import { initBackend, train, loadCheckpoint, sample, inpaint, makeMask } from 'wgan-inpaint';
 * // amortised: start the search at an encoder's z (train one with trainEncoder / `train-encoder`)
 * const { encoder } = await loadEncoder('models/fashion-mnist/encoder', model.generator, 'fashion-mnist');
 * await inpaint({ ...model, encoder }, images, masks, { init: 'auto' });   // 100 iterations × 1 restart by default
 * ```
 */
export * from './core.js';
export { initBackend, activeBackend, BACKEND_KINDS, type BackendKind } from './backends/index.js';
export { installTfjsPatches, type AppliedPatches } from './backends/tfjs_patches.js';
export { train, writePlot, type TrainOptions, type TrainResult, type Progress, type StatLine } from './train/loop.js';
export {
  loadCheckpoint,
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
