/**
 * `wgan-inpaint classifier train`: train the small CNN classifier (src/classifier/classifier.ts) on the
 * TRAIN split of a labelled dataset, measure its accuracy on the TEST split and save it (model.json +
 * weights.bin + manifest.json, atomically). `eval` uses it for semantic accuracy and FD-classifier.
 */
import { str, type Command, type Values, numOpt } from './command.js';
import { commandLine } from './command.js';
import { initBackend, activeBackend } from '../backends/index.js';
import { loadDataset } from '../data/load_node.js';
import { toImageBatch } from '../data/dataset.js';
import { BUILTIN_NAMES } from '../data/registry.js';
import { wrapHelp } from './schema_flags.js';
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

const help = `usage: wgan-inpaint classifier train --data NAME|DIR --out DIR [options]

Train a small CNN classifier (conv-ReLU-pool ×2, dense ${DEFAULT_CLASSIFIER_SPEC.features}-unit features, dense logits; Adam) on the
TRAIN split of a labelled dataset and save it with its TEST-split accuracy. \`wgan-inpaint eval\` uses it
for semantic accuracy and FD-classifier; it looks in classifier/ inside the model's run or checkpoint
folder by default, so --out RUN_DIR/classifier is the usual choice.

options
${wrapHelp('  --data NAME|DIR', `${BUILTIN_NAMES.join(' | ')} | a folder with one sub-folder per class (required)`).join('\n')}
  --size N               image side; must equal the model's [default: 32]
  --channels 1|3         must equal the model's [default: 1]
  --epochs N             [default: ${DEFAULT_TRAIN_CLASSIFIER.epochs}]
  --batch N              [default: ${DEFAULT_TRAIN_CLASSIFIER.batch}]
  --lr X                 Adam learning rate [default: ${DEFAULT_TRAIN_CLASSIFIER.lr}]
  --width N              filters of the first conv (the second has 2N) [default: ${DEFAULT_CLASSIFIER_SPEC.width}]
  --features N           units of the feature (penultimate) layer [default: ${DEFAULT_CLASSIFIER_SPEC.features}]
  --limit N              use only a fixed-seed choice of N training images
  --test-limit N         measure on only N test images
  --seed N               [default: 0]
  --out DIR              classifier folder (required)
  --backend KIND         auto | native | wasm | cpu | tensorflow [default: auto]

example
  wgan-inpaint classifier train --data fashion-mnist --size 32 --epochs 3 --out runs/fmnist/classifier`;

export const classifierCommand: Command = {
  name: 'classifier',
  summary: 'train the small CNN classifier used for semantic accuracy and FD-classifier',
  help,
  options: {
    data: { type: 'string' },
    size: { type: 'string' },
    channels: { type: 'string' },
    epochs: { type: 'string' },
    batch: { type: 'string' },
    lr: { type: 'string' },
    width: { type: 'string' },
    features: { type: 'string' },
    limit: { type: 'string' },
    'test-limit': { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
    backend: { type: 'string' },
  },
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
    const data = str(v, 'data');
    if (!data) throw new UserError('classifier train: --data NAME|DIR is required');
    const out = str(v, 'out');
    if (!out) throw new UserError('classifier train: --out DIR is required');
    const size = numOpt(v, 'size', { def: 32, int: true, min: 4 })!;
    const channels = numOpt(v, 'channels', { def: 1, int: true, min: 1 })!;
    if (channels !== 1 && channels !== 3)
      throw new UserError(`classifier train: --channels must be 1 or 3, got ${channels}`);
    const epochs = numOpt(v, 'epochs', { def: DEFAULT_TRAIN_CLASSIFIER.epochs, int: true, min: 1 })!;
    const batch = numOpt(v, 'batch', { def: DEFAULT_TRAIN_CLASSIFIER.batch, int: true, min: 1 })!;
    const lr = numOpt(v, 'lr', { def: DEFAULT_TRAIN_CLASSIFIER.lr, int: false, min: Number.MIN_VALUE })!;
    const width = numOpt(v, 'width', { def: DEFAULT_CLASSIFIER_SPEC.width, int: true, min: 1 })!;
    const features = numOpt(v, 'features', { def: DEFAULT_CLASSIFIER_SPEC.features, int: true, min: 2 })!;
    const seed = numOpt(v, 'seed', { def: 0, int: true, min: 0 })!;
    const limit = numOpt(v, 'limit', { int: true, min: 1 });
    const testLimit = numOpt(v, 'test-limit', { int: true, min: 1 });
    if (size % 4 !== 0)
      throw new UserError(`classifier train: --size must be a multiple of 4 (two 2×2 poolings), got ${size}`);

    const bar = new ProgressBar();
    const backend = await initBackend(str(v, 'backend', 'auto')!, (m) => bar.log(`notice: ${m}`));
    bar.log(`backend: ${backend}`);
    const ch = channels as 1 | 3;
    const train = await loadDataset({
      data,
      size,
      channels: ch,
      split: 'train',
      ...(limit !== undefined ? { limit } : {}),
      onWarning: (m) => bar.log(`warning: ${m}`),
    });
    const test = await loadDataset({
      data,
      size,
      channels: ch,
      split: 'test',
      ...(testLimit !== undefined ? { limit: testLimit } : {}),
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
