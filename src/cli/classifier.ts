/**
 * `wgan-inpaint classifier train`: train the small CNN classifier (src/classifier/classifier.ts) on the
 * TRAIN split of a labelled dataset, measure its accuracy on the TEST split and save it (model.json +
 * weights.bin + manifest.json, atomically). `eval` uses it for semantic accuracy and FD-classifier.
 */
import { z } from 'zod';
import { commandLine, type Command, type Values } from './command.js';
import { initBackend, activeBackend } from '../backends/index.js';
import { loadDataset } from '../data/load_node.js';
import { toImageBatch } from '../data/dataset.js';
import { BUILTIN_NAMES } from '../data/registry.js';
import { commandFlags } from './schema_flags.js';
import {
  accuracy,
  buildClassifier,
  DEFAULT_CLASSIFIER_SPEC,
  DEFAULT_TRAIN_CLASSIFIER,
  trainClassifier,
} from '../classifier/classifier.js';
import { saveClassifier } from '../classifier/classifier_node.js';
import { ProgressBar, fmtDuration } from './progress.js';
import { UserError } from '../util/errors.js';
import { definedKeys } from '../util/defined.js';

const ClassifierFlagsSchema = z.object({
  data: z.string().describe(`${BUILTIN_NAMES.join(' | ')} | a folder with one sub-folder per class (required)`),
  size: z.number().int().min(4).default(32).describe("image side; must equal the model's"),
  channels: z
    .union([z.literal(1), z.literal(3)])
    .default(1)
    .describe("must equal the model's"),
  epochs: z.number().int().min(1).default(DEFAULT_TRAIN_CLASSIFIER.epochs).describe('epochs over the training split'),
  batch: z.number().int().min(1).default(DEFAULT_TRAIN_CLASSIFIER.batch).describe('images per step'),
  lr: z.number().min(Number.MIN_VALUE).default(DEFAULT_TRAIN_CLASSIFIER.lr).describe('Adam learning rate'),
  width: z
    .number()
    .int()
    .min(1)
    .default(DEFAULT_CLASSIFIER_SPEC.width)
    .describe('filters of the first conv (the second has 2N)'),
  features: z
    .number()
    .int()
    .min(2)
    .default(DEFAULT_CLASSIFIER_SPEC.features)
    .describe('units of the feature (penultimate) layer'),
  limit: z.number().int().min(1).optional().describe('use only a fixed-seed choice of N training images'),
  testLimit: z.number().int().min(1).optional().describe('measure on only N test images'),
  seed: z.number().int().min(0).default(0).describe('seed of the weights, the batches and the --limit choice'),
  out: z.string().describe('classifier folder (required)'),
  backend: z.string().default('auto').describe('auto | native | wasm | cpu | tensorflow'),
});
const FLAGS = commandFlags('classifier train', ClassifierFlagsSchema);

const help = `usage: wgan-inpaint classifier train --data NAME|DIR --out DIR [options]

Train a small CNN classifier (conv-ReLU-pool ×2, dense ${DEFAULT_CLASSIFIER_SPEC.features}-unit features, dense logits; Adam) on the
TRAIN split of a labelled dataset and save it with its TEST-split accuracy. \`wgan-inpaint eval\` uses it
for semantic accuracy and FD-classifier; it looks in classifier/ inside the model's run or checkpoint
folder by default, so --out RUN_DIR/classifier is the usual choice.

options
${FLAGS.help({ values: { data: 'NAME|DIR', out: 'DIR', backend: 'KIND' } })}

example
  wgan-inpaint classifier train --data fashion-mnist --size 32 --epochs 3 --out runs/fmnist/classifier`;

export const classifierCommand: Command = {
  name: 'classifier',
  summary: 'train the small CNN classifier used for semantic accuracy and FD-classifier',
  help,
  options: FLAGS.options,
  positionals: true,
  async run(v: Values, positionals: string[]): Promise<number> {
    const [sub, ...extra] = positionals;
    if (sub !== 'train')
      throw new UserError(
        sub === undefined
          ? 'classifier: missing subcommand (valid: train)'
          : `classifier: unknown subcommand '${sub}' (valid: train)`,
      );
    if (extra.length > 0) throw new UserError(`classifier: unexpected argument '${extra[0]}'`);
    const { data, out, size, channels, epochs, batch, lr, width, features, seed, limit, testLimit, ...f } =
      FLAGS.parse(v);
    if (size % 4 !== 0)
      throw new UserError(`classifier train: --size must be a multiple of 4 (two 2×2 poolings), got ${size}`);

    const bar = new ProgressBar();
    const backend = await initBackend(f.backend, (m) => bar.log(`notice: ${m}`));
    bar.log(`backend: ${backend}`);
    const ch = channels;
    const train = await loadDataset({
      data,
      size,
      channels: ch,
      split: 'train',
      ...definedKeys({ limit }),
      onWarning: (m) => bar.log(`warning: ${m}`),
    });
    const test = await loadDataset({
      data,
      size,
      channels: ch,
      split: 'test',
      ...definedKeys({ limit: testLimit }),
      onWarning: (m) => bar.log(`warning: ${m}`),
    });
    if (!train.labels || !train.classNames || !test.labels) {
      throw new UserError(
        `classifier train: dataset '${data}' has no labels (use a built-in dataset or a folder with one sub-folder per class)`,
      );
    }
    bar.log(
      `data: ${train.name} train ${train.n}, test ${test.n} images ${size}×${size}×${channels}, ${train.classNames.length} classes`,
    );
    const model = buildClassifier({ size, channels: ch, classes: train.classNames.length, width, features, seed });
    const t0 = performance.now();
    try {
      const losses = await trainClassifier(model, train, {
        epochs,
        batch,
        lr,
        seed,
        onBatch: (e, b, nb, loss) => {
          const done = e * nb + b + 1,
            total = epochs * nb;
          bar.update(done, total, 'measured', `epoch ${e + 1}/${epochs}  loss ${loss.toFixed(4)}`);
        },
      });
      const trainSeconds = (performance.now() - t0) / 1000;
      const testAccuracy = accuracy(
        model,
        toImageBatch(
          test,
          Int32Array.from({ length: test.n }, (_, i) => i),
        ),
        test.labels,
      );
      await saveClassifier(out, model, {
        data: train.name,
        size,
        channels,
        classNames: train.classNames,
        width,
        features,
        epochs,
        batch,
        lr,
        seed,
        trainN: train.n,
        testAccuracy,
        testN: test.n,
        epochLosses: losses,
        trainSeconds,
        backend: activeBackend(),
        command: commandLine('classifier', v, positionals),
      });
      bar.log(
        `done in ${fmtDuration(trainSeconds)}: test accuracy ${(testAccuracy * 100).toFixed(2)} % on ${test.n} images (chance ${(100 / train.classNames.length).toFixed(1)} %); saved ${out}`,
      );
      return 0;
    } finally {
      model.dispose();
    }
  },
};
