/**
 * `wgan-inpaint eval`: complete a fixed, seeded sample of held-out images with every method (ours, its
 * ablations and the baselines) under several mask kinds, and write a report (results.json, index.md,
 * grids) — see src/eval/runner.ts for what is measured and src/eval/report.ts for the files.
 */
import path from 'node:path';
import { commandLine, type Command, type Values } from './command.js';
import { schemaFields, flagOptions, valuesFromFlags, helpLines, wrapHelp } from './schema_flags.js';
import { initBackend } from '../backends/index.js';
import { EVAL_METHOD_KINDS, getEvalMethod } from '../eval/runner.js';
import { runEval, EvalRunSchema, type EvalRunOptions } from '../eval/run_eval.js';
import { FD_CLASSIFIER_NAME } from '../classifier/fd.js';
import { ProgressBar, fmtDuration } from './progress.js';

const FIELDS = schemaFields(EvalRunSchema);
const VALUES: Record<string, string> = {
  model: 'REF',
  out: 'DIR',
  data: 'NAME|DIR',
  masks: 'K1,K2,…',
  methods: 'M1,M2,…',
  classifier: 'DIR',
  encoder: 'DIR',
  backend: 'KIND',
};

const help = [
  'usage: wgan-inpaint eval --model RUN_DIR|CHECKPOINT|NAME --out DIR [options]',
  '',
  'Complete the same seeded sample of held-out images, with the same seeded masks, by every method and',
  'measure: PSNR and SSIM over the whole image, L1 and PSNR over the hole, seconds per image and (with a',
  `classifier) semantic accuracy; plus ${FD_CLASSIFIER_NAME} of the generator. Writes DIR/results.json,`,
  "DIR/index.md and DIR/grid-<mask>.png. Images are resized to the model's size and channels.",
  '',
  'options',
  ...helpLines(FIELDS, { values: VALUES }),
  ...wrapHelp('', 'methods:'),
  ...EVAL_METHOD_KINDS.map((k) => `                           ${k.padEnd(18)} ${getEvalMethod(k).description}`),
  '',
  'example',
  '  wgan-inpaint classifier train --data fashion-mnist --size 32 --out runs/fmnist/classifier',
  '  wgan-inpaint eval --model runs/fmnist --n 200 --masks center,random,half,pattern --out runs/fmnist/eval',
].join('\n');

export const evalCommand: Command = {
  name: 'eval',
  summary: 'measure inpainting (PSNR, SSIM, hole L1/PSNR, time, semantic accuracy) against ablations and baselines',
  help,
  options: flagOptions(FIELDS),
  async run(v: Values, positionals: string[]): Promise<number> {
    const input = valuesFromFlags(FIELDS, v) as EvalRunOptions;
    const bar = new ProgressBar();
    const backend = await initBackend(input.backend ?? 'auto', (m) => bar.log(`notice: ${m}`));
    bar.log(`backend: ${backend}`);
    const ac = new AbortController();
    const onSig = () => {
      bar.log('interrupted');
      ac.abort();
    };
    process.once('SIGINT', onSig);
    try {
      const r = await runEval(input, {
        signal: ac.signal,
        command: commandLine('eval', v, positionals),
        onLog: (m) => bar.log(m),
        // Timed by the bar from its warm-up: the time since the start holds the model, data and classifier loading.
        onProgress: (done, total, label) => bar.update(done, total, 'measured', label),
      });
      bar.log(`done in ${fmtDuration(r.seconds)}: ${path.join(r.outDir, 'index.md')}`);
      for (const [kind, cells] of Object.entries(r.result.cells)) {
        bar.log(
          `  ${kind}: ${Object.entries(cells)
            .map(([m, c]) => `${m} ${c.holePsnr.mean.toFixed(2)} dB`)
            .join(', ')} (hole PSNR)`,
        );
      }
      return 0;
    } finally {
      process.off('SIGINT', onSig);
    }
  },
};
