/**
 * The Node entry point of the `wgan-inpaint` library: the platform-neutral core plus training on disk,
 * checkpoints, datasets, image files and backend selection. The curated public API (pinned by
 * src/index.test.ts, listed in docs/API.md); the building blocks behind it are `wgan-inpaint/internal`.
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
export { train, type TrainOptions, type TrainResult, type Progress, type StatLine } from './train/loop.js';
export { saveCheckpoint, listCheckpoints, listShippedModels, type Checkpoint } from './train/checkpoint.js';
export { readManifest, type Manifest } from './train/manifest.js';
export {
  trainEncoder,
  type EncoderTrainOptions,
  type EncoderTrainResult,
  type EncoderStatLine,
} from './encoder/loop.js';
export {
  loadCheckpoint,
  type LoadCheckpointOptions,
  loadEncoder,
  attachEncoder,
  installEncoder,
  type LoadedEncoder,
  type AttachedEncoder,
} from './encoder/checkpoint.js';
export {
  inpaintFiles,
  type InpaintFilesSpec,
  type InpaintFilesHooks,
  type InpaintFilesSummary,
  type InpaintFilesImage,
} from './inpaint/files_node.js';
export { runEval, EvalRunSchema, type EvalRunOptions, type EvalRun, type EvalRunCallbacks } from './eval/run_eval.js';
export {
  runClaims,
  type ClaimsOptionsInput,
  type ClaimsCallbacks,
  type ClaimsResult,
} from './experiment/claims.js';
export { loadDataset, type LoadOptions } from './data/load_node.js';
export { toImageBatch, type Dataset } from './data/dataset.js';
export { DATASETS } from './data/registry.js';
export { readImage, decodeImage, writePng, encodePng, readMask, makeGrid } from './io/image.js';
