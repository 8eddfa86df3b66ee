/** `wgan-inpaint train`: train a WGAN / WGAN-GP (or the standard-GAN baseline) on a built-in dataset or an image folder. */
import fs from 'node:fs';
import { str, commandLine, type Command, type Values } from './command.js';
import { schemaFields, flagOptions, valuesFromFlags, helpLines, wrapHelp, kebab } from './schema_flags.js';
import { resolveConfig, formatConfig, TrainConfigSchema, type TrainConfigInput } from '../config/config.js';
import { LOSSES } from '../losses/index.js';
import { MODEL_REGISTRY } from '../models/index.js';
import { train, runConfig, RESUMABLE_KEYS } from '../train/loop.js';
import { initBackend } from '../backends/index.js';
import { ProgressBar, fmtDuration } from './progress.js';
import { UserError } from '../util/errors.js';
import { RunDir } from '../train/run_dir.js';

/** The config keys as help groups; every key of the schema is a flag (`gWidth` → `--g-width`). */
const GROUPS: [string, (keyof TrainConfigInput)[]][] = [
  ['data', ['data', 'size', 'channels', 'limit', 'crop', 'cropScale']],
  ['model', ['model', 'nz', 'gWidth', 'dWidth', 'criticNorm']],
  [
    'loss and optimisation',
    [
      'preset',
      'loss',
      'iters',
      'batch',
      'optimizer',
      'lr',
      'dLr',
      'beta1',
      'beta2',
      'nCritic',
      'clip',
      'gpLambda',
      'gpEvery',
    ],
  ],
  ['run', ['seed', 'backend', 'sampleEvery', 'checkpointEvery', 'keepCheckpoints', 'fdEvery', 'classifier']],
];
const FIELDS = schemaFields(TrainConfigSchema);
{
  const grouped = new Set(GROUPS.flatMap(([, k]) => k as string[]));
  const missing = FIELDS.filter((f) => !grouped.has(f.key));
  if (missing.length)
    throw new Error(`train --help: config keys without a help group: ${missing.map((f) => f.key).join(', ')}`);
}

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
  return { ...out, ...valuesFromFlags(FIELDS, v) } as TrainConfigInput;
}

const widthDefaults = `from the model: ${MODEL_REGISTRY.kinds.map((k) => `${k} ${MODEL_REGISTRY.get(k).defaultWidth}`).join(', ')}`;

const presetNote = LOSSES.kinds
  .map((k) => {
    const p = LOSSES.get(k).preset;
    return `${k} = ${p.optimizer === 'adam' ? `Adam ${p.lr} β (${p.beta1}, ${p.beta2})` : `RMSProp ${p.lr}`}, n_critic ${p.nCritic}${p.clip ? `, clip ${p.clip}` : ''}${p.gpLambda ? `, λ ${p.gpLambda}` : ''}`;
  })
  .join('; ');

const help = [
  'usage: wgan-inpaint train --data NAME|DIR --out RUN_DIR [options]',
  '',
  'Train a Wasserstein GAN (WGAN with weight clipping, or WGAN-GP with a gradient penalty) on a DCGAN or an',
  "MLP; --loss gan trains the standard GAN (sigmoid cross-entropy, non-saturating G loss, DCGAN's Adam) as",
  'the comparison baseline — its stats.jsonl "wEstimate" is the discriminator loss, not a Wasserstein estimate.',
  'The run folder gets config.json, stats.jsonl, samples/*.png (fixed z), plot.svg/.png and checkpoints/.',
  '',
  ...GROUPS.flatMap(([title, keys]) => [
    title,
    ...helpLines(
      keys.map((k) => FIELDS.find((f) => f.key === k)!),
      {
        values: { data: 'NAME|DIR', model: MODEL_REGISTRY.kinds.join('|'), classifier: 'DIR' },
        defaults: { dLr: 'lr', gWidth: widthDefaults, dWidth: widthDefaults },
      },
    ),
    ...(title === 'loss and optimisation'
      ? wrapHelp(
          '',
          `"from the loss" = the loss's preset: ${presetNote} (wgan: 100 critic steps for the first 25 iterations and every 500th)`,
        )
      : []),
    ...(title === 'run'
      ? [
          ...wrapHelp('  --out RUN_DIR', 'run folder (required)'),
          ...wrapHelp(
            '  --resume',
            `continue the newest checkpoint in RUN_DIR (iteration count, optimizer state and data order carry on; only ${RESUMABLE_KEYS.map((k) => `--${kebab(k)}`).join(', ')} may change)`,
          ),
          ...wrapHelp('  --config FILE', 'JSON file of config keys (flags override it)'),
          ...wrapHelp('  --dry-run', 'print the resolved config and exit'),
        ]
      : []),
  ]),
  '',
  'example',
  '  wgan-inpaint train --data fashion-mnist --size 32 --loss wgan-gp --iters 3000 --out runs/fmnist',
].join('\n');

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a WGAN / WGAN-GP (or the standard-GAN baseline) on a dataset or an image folder',
  help,
  options: {
    ...flagOptions(FIELDS),
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
    const run = new RunDir(out);
    let est = 'Ŵ';
    try {
      const r = await train(input, {
        out,
        resume: !!v.resume,
        signal: ac.signal,
        command: commandLine('train', v),
        onConfig: (c) => {
          est = LOSSES.get(c.loss).estimate.short;
          bar.log(`config (saved to ${run.configFile}):\n${formatConfig(c)}`);
        },
        onLog: (m) => bar.log(m),
        onProgress: (p) =>
          bar.update(
            p.iter,
            p.iters,
            'measured',
            `${p.imagesPerSec.toFixed(0)} img/s  ${est} ${p.wEstimate.toFixed(4)}  L_D ${p.criticLoss.toFixed(4)}  L_G ${p.genLoss.toFixed(4)}`,
          ),
      });
      bar.log(
        `${r.aborted ? 'stopped' : 'done'} at iteration ${r.step} in ${fmtDuration((Date.now() - t0) / 1000)}; checkpoint ${r.checkpointDir}; samples ${run.latestSamples}; plot ${run.plotSvg}`,
      );
      return r.aborted ? 130 : 0;
    } finally {
      process.off('SIGINT', onSig);
      process.off('SIGTERM', onSig);
    }
  },
};
