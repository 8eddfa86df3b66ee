/**
 * The shapes shared by every model family (dcgan.ts, mlp.ts) and the registry (index.ts): what a
 * family is built from and what it builds. Types only, so the families import it and not each other.
 */
import type * as tf from '@tensorflow/tfjs';

export interface ModelSpec {
  size: 28 | 32 | 64;
  channels: 1 | 3;
  nz: number;
  gWidth: number;
  dWidth: number;
  criticNorm: 'layer' | 'batch' | 'none';
  seed: number;
}

/** The pair of networks a GAN trains. */
export interface GanModels {
  generator: tf.LayersModel;
  critic: tf.LayersModel;
}
