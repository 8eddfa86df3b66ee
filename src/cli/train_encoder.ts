/** `wgan-inpaint train-encoder`: train an inpainting encoder E(y⊙M, M) → z for a model's generator. */
import { str, commandLine, type Command, type Values } from './command.js';
import { schemaFields, flagOptions, valuesFromFlags, helpLines, wrapHelp, kebab } from './schema_flags.js';
import {
  EncoderConfigSchema,
  ENCODER_RESUMABLE_KEYS,
  formatEncoderConfig,
  type EncoderConfigInput,
} from '../encoder/config.js';
import { encoderRunConfig, trainEncoder } from '../encoder/loop.js';
import { installEncoder } from '../encoder/checkpoint.js';
import { disposeModel } from '../models/index.js';
import { initBackend } from '../backends/index.js';
import { ProgressBar, fmtDuration } from './progress.js';
import { UserError } from '../util/errors.js';
import { RunDir } from '../train/run_dir.js';

const GROUPS: [string, (keyof EncoderConfigInput)[]][] = [
  ['model and data', ['model', 'data', 'limit']],
  ['encoder and optimisation', ['width', 'iters', 'batch', 'lr', 'beta1', 'beta2']],
  ['loss mix', ['reconWeight', 'contextWeight', 'holeWeight', 'latentWeight', 'advWeight']],
  ['run', ['seed', 'valN', 'sampleEvery', 'checkpointEvery', 'keepCheckpoints', 'backend']],
];
const FIELDS = schemaFields(EncoderConfigSchema);
{
  const grouped = new Set(GROUPS.flatMap(([, k]) => k as string[]));
  const missing = FIELDS.filter((f) => !grouped.has(f.key));
  if (missing.length)
    throw new Error(`train-encoder --help: config keys without a help group: ${missing.map((f) => f.key).join(', ')}`);
}

const help = [
  'usage: wgan-inpaint train-encoder --model RUN|CHECKPOINT|NAME --out RUN_DIR [options]',
  '',
  'Train an encoder E(y⊙M, M) → z that predicts, in one forward pass, where the latent search should',
  'start for a masked image (amortised inpainting). G and the critic stay frozen; every batch draws',
  'fresh masks of every kind and hole size. RUN_DIR gets config.json, stats.jsonl, samples/*.png',
  '(masked | encoder-only fill | truth on fixed held-out images), plot.svg/.png, checkpoints/ and, at',
  'the end, encoder/: the finished encoder, whose manifest names the generator by a digest of its',
  'weights. Copy it to MODEL/encoder/ (or pass --encoder RUN_DIR/encoder) for `inpaint --init encoder`.',
  '',
  ...GROUPS.flatMap(([title, keys]) => [
    title,
    ...helpLines(
      keys.map((k) => FIELDS.find((f) => f.key === k)!),
      {
        values: { model: 'REF', data: 'NAME|DIR' },
        defaults: { width: "the model's critic width", data: "the model's training data" },
      },
    ),
    ...(title === 'run'
      ? [
          ...wrapHelp('  --out RUN_DIR', 'run folder (required)'),
          ...wrapHelp(
            '  --resume',
            `continue the newest checkpoint in RUN_DIR exactly (Adam state, data order, masks); only ${ENCODER_RESUMABLE_KEYS.map((k) => `--${kebab(k)}`).join(', ')} may change`,
          ),
          ...wrapHelp('  --dry-run', 'print the resolved config and exit'),
          ...wrapHelp(
            '  --install',
            "at the end, copy RUN_DIR/encoder to the model's own MODEL/encoder/ (checked against its generator; replaces the one there), where inpaint --init auto, eval and serve look",
          ),
        ]
      : []),
  ]),
  '',
  'example',
  '  wgan-inpaint train-encoder --model fashion-mnist --iters 3000 --out runs/enc-fmnist',
  '  cp -r runs/enc-fmnist/encoder models/fashion-mnist/encoder   # then: inpaint --init auto uses it',
].join('\n');

export const trainEncoderCommand: Command = {
  name: 'train-encoder',
  summary: 'train an encoder that starts the latent search near the answer (amortised inpainting)',
  help,
  options: {
    ...flagOptions(FIELDS),
    out: { type: 'string' },
    resume: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    install: { type: 'boolean' },
  },
  async run(v: Values): Promise<number> {
    const input = valuesFromFlags(FIELDS, v) as Partial<EncoderConfigInput>;
    const out = str(v, 'out');
    if (!out) throw new UserError('train-encoder: --out RUN_DIR is required');
    if (v['dry-run']) {
      const r = await encoderRunConfig(input, out, !!v.resume);
      disposeModel(r.model);
      console.log(`config (dry run), run folder ${out}:\n${formatEncoderConfig(r.config, r.fromModel)}`);
      return 0;
    }
    const bar = new ProgressBar();
    const backend = await initBackend(input.backend ?? 'auto', (m) => bar.log(`notice: ${m}`));
    bar.log(`backend: ${backend}`);
    const ac = new AbortController();
    const onSig = () => {
      bar.log('interrupted: writing a checkpoint at the current step…');
      ac.abort();
    };
    process.once('SIGINT', onSig);
    process.once('SIGTERM', onSig);
    const t0 = Date.now();
    const run = new RunDir(out);
    try {
      const r = await trainEncoder(input, {
        out,
        resume: !!v.resume,
        signal: ac.signal,
        command: commandLine('train-encoder', v),
        onConfig: (c, fromModel) =>
          bar.log(`config (saved to ${run.configFile}):\n${formatEncoderConfig(c, fromModel)}`),
        onLog: (m) => bar.log(m),
        onProgress: (p) => {
          const f = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : '-');
          bar.update(
            p.iter,
            p.iters,
            'measured',
            `${p.imagesPerSec.toFixed(0)} img/s  loss ${f(p.loss)}  recon ${f(p.recon)}  ctx ${f(p.context)}${Number.isFinite(p.hole) ? `  hole ${f(p.hole!)}` : ''}  latent ${f(p.latent)}${Number.isFinite(p.adv) ? `  adv ${f(p.adv)}` : ''}${p.valHolePsnr !== undefined ? `  val hole PSNR ${p.valHolePsnr.toFixed(2)} dB` : ''}`,
          );
        },
      });
      if (v.install && !r.aborted) {
        const dest = await installEncoder(r.encoderDir, r.model, str(v, 'model') ?? r.config.model);
        bar.log(`installed ${r.encoderDir} → ${dest} (inpaint --init auto now starts from it)`);
      }
      bar.log(
        `${r.aborted ? 'stopped' : 'done'} at step ${r.step} in ${fmtDuration((Date.now() - t0) / 1000)}; checkpoint ${r.checkpointDir}; encoder ${r.encoderDir}; samples ${run.latestSamples}; plot ${run.plotSvg}`,
      );
      r.encoder.dispose();
      disposeModel(r.model);
      return r.aborted ? 130 : 0;
    } finally {
      process.off('SIGINT', onSig);
      process.off('SIGTERM', onSig);
    }
  },
};
