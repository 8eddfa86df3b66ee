/**
 * The model registry keyed by `kind` (config `model`): the `dcgan` family (dcgan.ts) and the `mlp`
 * family (mlp.ts), each a generator / critic pair built from a ModelSpec; and the forward-pass cost of
 * a built model. The families import nothing of each other; this file imports both.
 */
import type * as tf from '@tensorflow/tfjs';
import { defineRegistry, type KindOf } from '../util/registry.js';
import { buildCritic, buildGenerator } from './dcgan.js';
import { buildMlpCritic, buildMlpGenerator, MLP_DEFAULT_WIDTH } from './mlp.js';
import type { GanModels, ModelSpec } from './spec.js';

export type { GanModels, ModelSpec } from './spec.js';

export interface ModelKind {
  kind: string;
  description: string;
  /** gWidth and dWidth when the config leaves them unset (what "width" means is the kind's). */
  defaultWidth: number;
  build(spec: ModelSpec): GanModels;
}

/** Model registry keyed by `kind` (config `model`). */
export const MODEL_REGISTRY = defineRegistry('model', [
  {
    kind: 'dcgan',
    description:
      'DCGAN generator (transposed convs + batch norm + tanh) and critic (strided convs + leaky ReLU); width = channels of the widest-resolution layer',
    defaultWidth: 64,
    build: (s) => ({ generator: buildGenerator(s), critic: buildCritic(s) }),
  },
  {
    kind: 'mlp',
    description:
      "MLP generator and critic, 4 fully connected layers each (ReLU / leaky ReLU), as in the WGAN paper's MLP experiment; width = units of each hidden layer",
    defaultWidth: MLP_DEFAULT_WIDTH,
    build: (s) => ({ generator: buildMlpGenerator(s), critic: buildMlpCritic(s) }),
  },
] as const satisfies readonly ModelKind[]);
/** 'dcgan' | 'mlp'. */
export type ModelKindName = KindOf<typeof MODEL_REGISTRY>;
/** kind → model family (the registry's table). */
export const MODELS = MODEL_REGISTRY.byKind;

export function buildModels(kind: string, spec: ModelSpec): GanModels {
  return MODEL_REGISTRY.get(kind).build(spec);
}

/** Multiply-accumulate FLOPs (×2) of one forward pass of a LayersModel for one sample, from layer shapes. */
export function forwardFlops(m: tf.LayersModel): number {
  let flops = 0;
  for (const layer of m.layers) {
    const cls = layer.getClassName();
    const out = layer.outputShape as number[];
    const inp = (layer.input as tf.SymbolicTensor).shape as number[];
    if (cls === 'Dense') flops += 2 * (inp[inp.length - 1] ?? 0) * (out[out.length - 1] ?? 0);
    if (cls === 'Conv2D' || cls === 'Conv2DTranspose') {
      const k = (layer.getConfig().kernelSize as number[]) ?? [4, 4];
      const cin = inp[3] ?? 0,
        cout = out[3] ?? 0;
      // Conv2D: per output pixel k·k·cin·cout MACs; Conv2DTranspose: per input pixel.
      const pix = cls === 'Conv2D' ? (out[1] ?? 0) * (out[2] ?? 0) : (inp[1] ?? 0) * (inp[2] ?? 0);
      flops += 2 * pix * (k[0] ?? 4) * (k[1] ?? 4) * cin * cout;
    }
  }
  return flops;
}

/**
 * Free a model's networks: generator, critic, and its encoder when it has one (a loaded checkpoint
 * with `encoder` attached, an InpaintModel). Each is disposed once; a null or absent encoder is
 * skipped, so an encoder loaded on its own is disposed by its owner.
 */
export function disposeModel(model: GanModels & { encoder?: tf.LayersModel | null }): void {
  model.generator.dispose();
  model.critic.dispose();
  model.encoder?.dispose();
}
