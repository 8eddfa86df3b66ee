/**
 * `wgan-inpaint experiment claims`: measure the WGAN paper's four claims against the standard GAN
 * (src/experiment/claims.ts does the work; this file is its flags, help and progress display).
 */
import path from 'node:path';
import { commandLine, type Command, type Values } from './command.js';
import { schemaFields, flagOptions, valuesFromFlags, helpLines, wrapHelp } from './schema_flags.js';
import { initBackend } from '../backends/index.js';
import {
  runClaims,
  resolveClaimsOptions,
  ClaimsOptionsSchema,
  CLAIMS_DEFAULTS,
  type ClaimsOptionsInput,
} from '../experiment/claims.js';
import { ProgressBar, fmtDuration } from './progress.js';
import { UserError } from '../util/errors.js';

const FIELDS = schemaFields(ClaimsOptionsSchema);
const VALUES: Record<string, string> = {
  data: 'NAME|DIR',
  out: 'DIR',
  losses: 'L1,L2,…',
  models: 'M1,M2,…',
  classifier: 'DIR',
  backend: 'KIND',
};

const help = [
  'usage: wgan-inpaint experiment claims --data NAME|DIR --out DIR [--iters N] [--seeds S] [options]',
  '',
  "Measure the Wasserstein GAN's four claims against the standard GAN: (1) training is stable, (2) no mode",
  'collapse, (3) the W estimate falls as the samples get better, (4) no DCGAN is needed (an MLP trains too).',
  'Trains the grid {losses} × {models} × seeds one run after another, each in a normal run folder',
  "DIR/runs/<loss>-<model>-s<seed>/ (each loss with its own paper's hyper-parameters), measuring",
  'FD-classifier, modes covered and sample spread every --fd-every iterations; then writes DIR/report.md,',
  'DIR/report.json and DIR/plots/ (per run: sample grid and curves) with one yes/no table for the claims,',
  'the numbers and the rule behind each answer. The --loss gan "estimate" is its discriminator loss, not a',
  'Wasserstein estimate. Stopped (Ctrl-C, kill) it keeps what is done: run the same command again to resume',
  '(finished and diverged runs are skipped; a larger --iters extends every run).',
  '',
  'options',
  ...helpLines(FIELDS, {
    values: VALUES,
    defaults: {
      gWidth: Object.entries(CLAIMS_DEFAULTS.widths)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
      dWidth: 'as --g-width',
      fdEvery: 'iters/20',
      checkpointEvery: 'iters/10',
    },
  }),
  '',
  ...wrapHelp(
    'budget',
    `the defaults (${CLAIMS_DEFAULTS.iters} iterations × ${CLAIMS_DEFAULTS.seeds} seeds × 3 losses × 2 models) project to ≈ 1.1 h on a free 2-core machine (docs/CLAIMS.md); --estimate times your machine.`,
  ),
  '',
  'examples',
  '  wgan-inpaint experiment claims --data fashion-mnist --out runs/claims',
  '  wgan-inpaint experiment claims --data fashion-mnist --out runs/claims --estimate',
  '  wgan-inpaint experiment claims --data fashion-mnist --losses wgan-gp,gan --models mlp --seeds 3 --out runs/claims-mlp',
].join('\n');

export const experimentCommand: Command = {
  name: 'experiment',
  summary: "experiments over a grid of runs: `claims` measures the WGAN paper's four claims against a standard GAN",
  help,
  options: flagOptions(FIELDS),
  positionals: true,
  async run(v: Values, positionals: string[]): Promise<number> {
    const [sub, ...extra] = positionals;
    if (sub !== 'claims')
      throw new UserError(
        sub === undefined
          ? 'experiment: missing experiment name (valid: claims)'
          : `experiment: unknown experiment '${sub}' (valid: claims)`,
      );
    if (extra.length) throw new UserError(`experiment: unexpected argument '${extra[0]}'`);
    const input = valuesFromFlags(FIELDS, v) as ClaimsOptionsInput;
    if (!input.out) throw new UserError('experiment claims: --out DIR is required');
    resolveClaimsOptions(input); // bad options fail before the backend starts
    const bar = new ProgressBar();
    const backend = await initBackend(input.backend ?? 'auto', (m) => bar.log(`notice: ${m}`));
    bar.log(`backend: ${backend}`);
    const ac = new AbortController();
    const onSig = () => {
      bar.log('interrupted: the current run writes a checkpoint; run the same command again to continue');
      ac.abort();
    };
    process.once('SIGINT', onSig);
    process.once('SIGTERM', onSig);
    const t0 = performance.now();
    try {
      const r = await runClaims(input, {
        signal: ac.signal,
        command: commandLine('experiment', v, positionals),
        onLog: (m) => bar.log(m),
        onCell: (c, i, n, status) => {
          const what = {
            start: 'training',
            resume: 'resuming',
            'skip-done': 'finished already, skipped',
            'skip-diverged': 'diverged before, skipped',
            done: 'done',
            diverged: 'diverged (recorded; next run)',
            stopped: 'stopped',
          }[status];
          bar.log(`[${i + 1}/${n}] ${c.name}: ${what}`);
        },
        onProgress: (c, p) =>
          bar.update(
            p.iter,
            p.iters,
            'measured',
            `${c.name}  ${p.fdClassifier !== undefined ? `FD ${p.fdClassifier.toFixed(1)} modes ${p.modes}` : ''}`,
          ),
      });
      if (input.estimate) return 0;
      if (r.aborted) {
        bar.log(
          `stopped after ${fmtDuration((performance.now() - t0) / 1000)}; no report yet — run the same command again to continue`,
        );
        return 130;
      }
      bar.log(`done in ${fmtDuration((performance.now() - t0) / 1000)}: ${path.join(r.dir, 'report.md')}`);
      for (const c of r.claims) bar.log(`  (${c.id}) ${c.claim}: ${c.answer}`);
      return 0;
    } finally {
      process.off('SIGINT', onSig);
      process.off('SIGTERM', onSig);
    }
  },
};
