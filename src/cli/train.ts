/** `wgan-inpaint train`: train a WGAN / WGAN-GP on a built-in dataset or an image folder. */
import fs from 'node:fs';
import path from 'node:path';
import { str, numOpt, commandLine, type Command, type Values } from './command.js';
import { resolveConfig, formatConfig, type TrainConfigInput } from '../config/config.js';
import { train, runConfig } from '../train/loop.js';
import { initBackend } from '../backends/index.js';
import { ProgressBar, fmtDuration } from './progress.js';
import { UserError } from '../util/errors.js';

/** CLI flag → config key, with how to parse the value. */
const FLAGS: Record<string, { key: keyof TrainConfigInput; type: 'int' | 'num' | 'str' }> = {
  data: { key: 'data', type: 'str' },
  limit: { key: 'limit', type: 'int' },
  size: { key: 'size', type: 'int' },
  channels: { key: 'channels', type: 'int' },
  model: { key: 'model', type: 'str' },
  loss: { key: 'loss', type: 'str' },
  iters: { key: 'iters', type: 'int' },
  batch: { key: 'batch', type: 'int' },
  nz: { key: 'nz', type: 'int' },
  'g-width': { key: 'gWidth', type: 'int' },
  'd-width': { key: 'dWidth', type: 'int' },
  'critic-norm': { key: 'criticNorm', type: 'str' },
  optimizer: { key: 'optimizer', type: 'str' },
  lr: { key: 'lr', type: 'num' },
  beta1: { key: 'beta1', type: 'num' },
  beta2: { key: 'beta2', type: 'num' },
  'n-critic': { key: 'nCritic', type: 'int' },
  clip: { key: 'clip', type: 'num' },
  'gp-lambda': { key: 'gpLambda', type: 'num' },
  seed: { key: 'seed', type: 'int' },
  'sample-every': { key: 'sampleEvery', type: 'int' },
  'checkpoint-every': { key: 'checkpointEvery', type: 'int' },
  'keep-checkpoints': { key: 'keepCheckpoints', type: 'int' },
  backend: { key: 'backend', type: 'str' },
  'fd-every': { key: 'fdEvery', type: 'int' },
  classifier: { key: 'classifier', type: 'str' },
};

/** Turn CLI values (and an optional --config JSON file) into a config input; numbers are checked. */
export function configFromFlags(v: Values): TrainConfigInput {
  const out: Record<string, unknown> = {};
  const file = str(v, 'config');
  if (file) {
    try {
      Object.assign(out, JSON.parse(fs.readFileSync(file, 'utf8')));
    } catch (e) {
      throw new UserError(`cannot read config file '${file}': ${(e as Error).message}`);
    }
  }
  for (const [flag, { key, type }] of Object.entries(FLAGS)) {
    const raw = v[flag];
    if (typeof raw !== 'string') continue;
    out[key] = type === 'str' ? raw : numOpt(v, flag, { int: type === 'int' });
  }
  return out as TrainConfigInput;
}

const help = `usage: wgan-inpaint train --data NAME|DIR --out RUN_DIR [options]

Train a Wasserstein GAN (WGAN with weight clipping, or WGAN-GP with a gradient penalty) on a DCGAN.
The run folder gets config.json, stats.jsonl, samples/*.png (fixed z), plot.svg/.png and checkpoints/.

data
  --data NAME|DIR        fashion-mnist | mnist | emoji | an image folder (PNG/JPEG/WebP, recursive)
                         [default: fashion-mnist]
  --size 28|32|64        image side in pixels [default: 32]
  --channels 1|3         grey or RGB [default: 1]
  --limit N              use only N training images (0 = all) [default: 0]
model
  --model KIND           dcgan [default: dcgan]
  --nz N                 latent size [default: 100]
  --g-width N, --d-width N   generator / critic width [default: 64]
  --critic-norm KIND     auto | layer | batch | none [default: auto = layer for wgan-gp, batch for wgan]
loss and optimisation
  --loss wgan|wgan-gp    [default: wgan-gp]
  --iters N              generator iterations [default: 5000]
  --batch N              [default: 64]
  --optimizer adam|rmsprop, --lr X, --beta1 X, --beta2 X, --n-critic N, --clip X, --gp-lambda X
                         [defaults from the loss: wgan = RMSProp 5e-5, n_critic 5 (100 for the first 25
                         iterations and every 500th), clip 0.01; wgan-gp = Adam 1e-4 β (0.5, 0.9),
                         n_critic 5, λ 10]
run
  --out RUN_DIR          run folder (required)
  --resume               continue the newest checkpoint in RUN_DIR (iteration count, optimizer state and
                         data order carry on; only --iters, --lr, --sample-every, --checkpoint-every,
                         --keep-checkpoints, --backend, --fd-every and --classifier may change)
  --seed N               [default: 0]
  --backend KIND         auto | native | wasm | cpu | tensorflow [default: auto]
  --sample-every N       sample grid + plot every N iterations [default: 100]
  --checkpoint-every N   [default: 500]
  --keep-checkpoints N   [default: 2]
  --fd-every N           log FD-classifier (Fréchet distance of a classifier's features, 1000 samples vs
                         1000 real test images) every N iterations, beside the W estimate [default: 0 = off]
  --classifier DIR       classifier folder for --fd-every (wgan-inpaint classifier train)
  --config FILE          JSON file of config keys (flags override it)
  --dry-run              print the resolved config and exit

example
  wgan-inpaint train --data fashion-mnist --size 32 --loss wgan-gp --iters 3000 --out runs/fmnist`;

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a WGAN / WGAN-GP on a dataset or an image folder',
  help,
  options: {
    ...Object.fromEntries(Object.keys(FLAGS).map((f) => [f, { type: 'string' as const }])),
    out: { type: 'string' },
    config: { type: 'string' },
    resume: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
  },
  async run(v: Values): Promise<number> {
    const input = configFromFlags(v);
    const out = str(v, 'out');
    if (v['dry-run']) {
      const c = out ? runConfig(input, out, !!v.resume).config : resolveConfig(input);
      console.log(`config (dry run)${out ? `, run folder ${out}` : ''}:\n${formatConfig(c)}`);
      return 0;
    }
    if (!out) throw new UserError('train: --out RUN_DIR is required');
    const bar = new ProgressBar();
    const backend = await initBackend(input.backend ?? 'auto', (m) => bar.log(`notice: ${m}`));
    bar.log(`backend: ${backend}`);
    const ac = new AbortController();
    const onSig = () => {
      bar.log('interrupted: writing a checkpoint at the current iteration…');
      ac.abort();
    };
    process.once('SIGINT', onSig);
    process.once('SIGTERM', onSig);
    const t0 = Date.now();
    try {
      const r = await train(input, {
        out,
        resume: !!v.resume,
        signal: ac.signal,
        command: commandLine('train', v),
        onConfig: (c) => bar.log(`config (saved to ${path.join(out, 'config.json')}):\n${formatConfig(c)}`),
        onLog: (m) => bar.log(m),
        onProgress: (p) =>
          bar.update(p.iter, p.iters, p.eta, `${p.imagesPerSec.toFixed(0)} img/s  Ŵ ${p.wEstimate.toFixed(4)}  L_D ${p.criticLoss.toFixed(4)}  L_G ${p.genLoss.toFixed(4)}`),
      });
      bar.log(
        `${r.aborted ? 'stopped' : 'done'} at iteration ${r.step} in ${fmtDuration((Date.now() - t0) / 1000)}; checkpoint ${r.checkpointDir}; samples ${path.join(out, 'samples', 'latest.png')}; plot ${path.join(out, 'plot.svg')}`,
      );
      return r.aborted ? 130 : 0;
    } finally {
      process.off('SIGINT', onSig);
      process.off('SIGTERM', onSig);
    }
  },
};
