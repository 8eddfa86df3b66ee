/**
 * The claims experiment's analysis: from the stats of each run of the grid to per-run and per-cell
 * summaries and the yes/no answers to the four claims, each with its numbers and the rule that decided
 * it. Pure and platform-neutral (the runner and the report writer are claims.ts and report.ts).
 *
 * The four claims (Arjovsky et al. 2017, against the Jensen–Shannon GAN):
 *   1. stable — training does not diverge and makes progress;
 *   2. no mode collapse — the samples stay diverse;
 *   3. the W estimate tracks quality — it falls as the samples get better;
 *   4. no DCGAN needed — an MLP generator and critic train too.
 * The Wasserstein runs (wgan, wgan-gp) answer them; the gan runs are the baseline shown beside them.
 */
import { LOSSES } from '../losses/index.js';
import { spearman } from '../metrics/rank.js';
import { COLLAPSE_RATIO, EXPLODE_FACTOR, MODE_MIN_SHARE_OF_UNIFORM } from '../metrics/diversity.js';

/** The thresholds of the yes/no rules (stated in every report). */
export const RULES = {
  /** "Made progress": the final FD-classifier ≤ this × the first one measured. */
  progressRatio: 0.75,
  /** "Diverse": at least this fraction of the classes covered at the final measurement. */
  minModesFraction: 0.8,
  /** "Tracks quality": median Spearman ρ(estimate, FD-classifier) of the Wasserstein runs ≥ this. */
  minRho: 0.5,
  /** Measurements a run needs for its ρ to count. */
  minPoints: 5,
} as const;

/** The fields of a stats.jsonl line the analysis reads. */
export interface RunStat {
  iter: number;
  wEstimate: number;
  criticLoss: number;
  fdClassifier?: number;
  modes?: number;
  klUniform?: number;
  spreadRatio?: number;
  collapsed?: boolean;
  exploding?: boolean;
}

/** One run of the grid as found on disk. */
export interface RunRecord {
  name: string;
  loss: string;
  model: string;
  seed: number;
  /** Generator iterations the run is meant to reach. */
  iters: number;
  stats: readonly RunStat[];
  /** Set when training stopped on NaN/Inf (RUN_DIR/diverged.json). */
  diverged: { iter: number; key: string } | null;
  /** Wall-clock seconds of training (checkpoint manifest), when known. */
  trainSeconds: number | null;
}

export interface RunSummary {
  name: string;
  loss: string;
  model: string;
  seed: number;
  /** The loss's estimate is a Wasserstein estimate (wgan, wgan-gp), not the GAN's discriminator loss. */
  wasserstein: boolean;
  /** Short name of the logged estimate (Ŵ, L_D). */
  estimate: string;
  iters: number;
  itersDone: number;
  /** Reached `iters` or stopped on a divergence: nothing more will be trained. */
  done: boolean;
  diverged: { iter: number; key: string } | null;
  /** First measurement flagged exploding (or the divergence), null if none. */
  explodedAt: number | null;
  fdFirst: number | null;
  fdLast: number | null;
  fdBest: number | null;
  /** fdLast ≤ RULES.progressRatio × fdFirst (null without two measurements). */
  fdFell: boolean | null;
  modesLast: number | null;
  /** Classes the modes are counted out of. */
  classes: number;
  klLast: number | null;
  spreadRatioLast: number | null;
  collapsedLast: boolean | null;
  /** Measurements flagged collapsed (untrained generators usually are: judge by collapsedLast). */
  collapsedCount: number;
  /** Spearman ρ between the estimate (mean over each measurement interval) and FD-classifier. */
  rho: number | null;
  points: number;
  trainSeconds: number | null;
  secondsPerIter: number | null;
  /** Meets the rules of claims 1 and 2 on its own. */
  healthy: boolean;
  /** Curves for plots: at each measurement, FD-classifier, modes and the interval-mean estimate. */
  series: { iter: number[]; fd: number[]; modes: number[]; estimate: number[] };
}

const finite = (x: number | undefined | null): x is number => typeof x === 'number' && Number.isFinite(x);
const orNull = (x: number | undefined): number | null => (finite(x) ? x : null);

/** Summarise one run (classes = the classifier's class count). */
export function summariseRun(r: RunRecord, classes: number): RunSummary {
  const est = LOSSES.get(r.loss).estimate;
  const probes = r.stats.filter((s) => s.fdClassifier !== undefined);
  // The estimate at a measurement: its mean over the iterations since the previous one (the
  // per-iteration value is noisy; FD is measured on a fixed sample set).
  const estimate: number[] = [];
  let sum = 0,
    n = 0,
    pi = 0;
  for (const s of r.stats) {
    if (Number.isFinite(s.wEstimate)) {
      sum += s.wEstimate;
      n++;
    }
    if (pi < probes.length && s.iter === probes[pi]!.iter) {
      estimate.push(n ? sum / n : NaN);
      sum = 0;
      n = 0;
      pi++;
    }
  }
  const fd = probes.map((s) => s.fdClassifier!);
  const points = fd.filter(Number.isFinite).length;
  const rhoRaw = points >= RULES.minPoints ? spearman(estimate, fd) : NaN;
  const last = probes.at(-1);
  const fdFirst = orNull(fd.find(Number.isFinite)),
    fdLast = orNull([...fd].reverse().find(Number.isFinite));
  const fdFell = fdFirst !== null && fdLast !== null && points >= 2 ? fdLast <= RULES.progressRatio * fdFirst : null;
  const explodedProbe = probes.find((s) => s.exploding);
  const explodedAt = explodedProbe ? explodedProbe.iter : r.diverged ? r.diverged.iter : null;
  const itersDone = r.stats.at(-1)?.iter ?? 0;
  const modesLast = orNull(last?.modes);
  const collapsedLast = last?.collapsed ?? null;
  const healthy =
    !r.diverged &&
    explodedAt === null &&
    itersDone >= r.iters &&
    fdFell === true &&
    collapsedLast === false &&
    modesLast !== null &&
    modesLast >= RULES.minModesFraction * classes;
  return {
    name: r.name,
    loss: r.loss,
    model: r.model,
    seed: r.seed,
    wasserstein: est.wasserstein,
    estimate: est.short,
    iters: r.iters,
    itersDone,
    done: itersDone >= r.iters || !!r.diverged,
    diverged: r.diverged,
    explodedAt,
    fdFirst,
    fdLast,
    fdBest: points ? Math.min(...fd.filter(Number.isFinite)) : null,
    fdFell,
    modesLast,
    classes,
    klLast: orNull(last?.klUniform),
    spreadRatioLast: orNull(last?.spreadRatio),
    collapsedLast,
    collapsedCount: probes.filter((s) => s.collapsed).length,
    rho: finite(rhoRaw) ? rhoRaw : null,
    points,
    trainSeconds: r.trainSeconds,
    secondsPerIter: r.trainSeconds !== null && itersDone > 0 ? r.trainSeconds / itersDone : null,
    healthy,
    series: { iter: probes.map((s) => s.iter), fd, modes: probes.map((s) => s.modes ?? NaN), estimate },
  };
}

export interface CellSummary {
  loss: string;
  model: string;
  seeds: number;
  diverged: number;
  exploded: number;
  /** Runs collapsed at their final measurement. */
  collapsed: number;
  /** Runs whose FD-classifier fell to ≤ progressRatio × the first. */
  fdFell: number;
  fdLastMean: number | null;
  fdLastSd: number | null;
  fdFirstMean: number | null;
  modesLastMean: number | null;
  klLastMean: number | null;
  rhoMedian: number | null;
  secondsPerIterMean: number | null;
}

function mean(xs: number[]): number | null {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
}
function sd(xs: number[]): number | null {
  if (xs.length < 2) return null;
  const m = mean(xs)!;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}
export function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b),
    m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
const vals = (xs: (number | null)[]) => xs.filter((x): x is number => x !== null);

/** Per (loss, model) cell, over its seeds, in the order the cells first appear. */
export function summariseCells(runs: readonly RunSummary[]): CellSummary[] {
  const keys: string[] = [];
  for (const r of runs) if (!keys.includes(`${r.loss}\u0000${r.model}`)) keys.push(`${r.loss}\u0000${r.model}`);
  return keys.map((k) => {
    const [loss, model] = k.split('\u0000') as [string, string];
    const rs = runs.filter((r) => r.loss === loss && r.model === model);
    return {
      loss,
      model,
      seeds: rs.length,
      diverged: rs.filter((r) => r.diverged).length,
      exploded: rs.filter((r) => r.explodedAt !== null).length,
      collapsed: rs.filter((r) => r.collapsedLast === true).length,
      fdFell: rs.filter((r) => r.fdFell === true).length,
      fdLastMean: mean(vals(rs.map((r) => r.fdLast))),
      fdLastSd: sd(vals(rs.map((r) => r.fdLast))),
      fdFirstMean: mean(vals(rs.map((r) => r.fdFirst))),
      modesLastMean: mean(vals(rs.map((r) => r.modesLast))),
      klLastMean: mean(vals(rs.map((r) => r.klLast))),
      rhoMedian: median(vals(rs.map((r) => r.rho))),
      secondsPerIterMean: mean(vals(rs.map((r) => r.secondsPerIter))),
    };
  });
}

export type Answer = 'yes' | 'no' | 'n/a';

export interface ClaimAnswer {
  id: 1 | 2 | 3 | 4;
  claim: string;
  answer: Answer;
  /** The measured numbers behind the answer (one line, Markdown-safe). */
  numbers: string;
  /** The rule that turned the numbers into the answer. */
  rule: string;
}

const f2 = (x: number | null) => (x === null ? '—' : x.toFixed(2));
const byLoss = (runs: readonly RunSummary[]) => {
  const losses: string[] = [];
  for (const r of runs) if (!losses.includes(r.loss)) losses.push(r.loss);
  return losses.map((l) => ({
    loss: l,
    runs: runs.filter((r) => r.loss === l),
    baseline: !LOSSES.get(l).estimate.wasserstein,
  }));
};
const label = (g: { loss: string; baseline: boolean }) => (g.baseline ? `${g.loss} (baseline)` : g.loss);

/** The yes/no answers to the four claims from the run summaries. */
export function answerClaims(runs: readonly RunSummary[]): ClaimAnswer[] {
  const w = runs.filter((r) => r.wasserstein);
  const groups = byLoss(runs);
  const minModes = (r: RunSummary) => Math.ceil(RULES.minModesFraction * r.classes - 1e-9);
  const stable = (r: RunSummary) => !r.diverged && r.explodedAt === null && r.fdFell === true;
  const diverse = (r: RunSummary) => r.collapsedLast === false && r.modesLast !== null && r.modesLast >= minModes(r);
  const yn = (ok: boolean, any: boolean): Answer => (!any ? 'n/a' : ok ? 'yes' : 'no');

  const runsOf = (g: { runs: RunSummary[] }) => `${g.runs.length} run${g.runs.length === 1 ? '' : 's'}`;
  const c1 = groups
    .map(
      (g) =>
        `${label(g)}, ${runsOf(g)}: ${g.runs.filter((r) => r.diverged).length} diverged, ${g.runs.filter((r) => r.explodedAt !== null).length} exploded, FD fell in ${g.runs.filter((r) => r.fdFell === true).length}`,
    )
    .join('; ');
  const c2 = groups
    .map(
      (g) =>
        `${label(g)}, ${runsOf(g)}: ${g.runs.filter((r) => r.collapsedLast === true).length} collapsed at the end, modes ${vals(g.runs.map((r) => r.modesLast)).join(', ') || '—'} (of ${g.runs[0]?.classes ?? '?'}), mean KL ${f2(mean(vals(g.runs.map((r) => r.klLast))))}`,
    )
    .join('; ');
  const rhoW = vals(w.map((r) => r.rho));
  const c3 = groups
    .map(
      (g) =>
        `${label(g)}: median ρ ${f2(median(vals(g.runs.map((r) => r.rho))))} (${
          vals(g.runs.map((r) => r.rho))
            .map((x) => x.toFixed(2))
            .join(', ') || 'no run with enough points'
        })`,
    )
    .join('; ');
  const mlp = runs.filter((r) => r.model === 'mlp');
  const wm = mlp.filter((r) => r.wasserstein);
  const c4 = byLoss(mlp)
    .map(
      (g) =>
        `${label(g)} × mlp: ${g.runs.filter((r) => stable(r) && diverse(r)).length}/${g.runs.length} pass claims 1–2, FD ${g.runs.map((r) => `${r.fdFirst?.toFixed(1) ?? '—'} → ${r.fdLast?.toFixed(1) ?? '—'}`).join(', ')}, modes ${vals(g.runs.map((r) => r.modesLast)).join(', ') || '—'}`,
    )
    .join('; ');
  const dc = runs.filter((r) => r.model === 'dcgan' && r.wasserstein);
  const c4dc = dc.length
    ? `; for comparison wgan/wgan-gp × dcgan final FD ${vals(dc.map((r) => r.fdLast))
        .map((x) => x.toFixed(1))
        .join(', ')}`
    : '';
  return [
    {
      id: 1,
      claim: 'Training is stable',
      answer: yn(w.every(stable), w.length > 0),
      numbers: c1,
      rule: `yes when no wgan/wgan-gp run diverged (NaN/Inf) or had exploding critic values (> ${EXPLODE_FACTOR} × their median so far) and in every one the final FD-classifier is ≤ ${RULES.progressRatio} × its first measurement`,
    },
    {
      id: 2,
      claim: 'No mode collapse',
      answer: yn(w.every(diverse), w.length > 0),
      numbers: c2,
      rule: `yes when at its final measurement no wgan/wgan-gp run has collapsed (spread of 64 fixed-z samples < ${COLLAPSE_RATIO} × that of real images) and every one covers ≥ ${RULES.minModesFraction * 100} % of the classes (a class is covered with ≥ ${MODE_MIN_SHARE_OF_UNIFORM} × its uniform share of 1000 samples)`,
    },
    {
      id: 3,
      claim: 'The W estimate tracks sample quality',
      answer: rhoW.length ? (median(rhoW)! >= RULES.minRho ? 'yes' : 'no') : 'n/a',
      numbers: c3,
      rule: `yes when the median over wgan/wgan-gp runs of Spearman's ρ between the estimate (mean over each measurement interval) and FD-classifier is ≥ ${RULES.minRho} (they fall together); runs with fewer than ${RULES.minPoints} measurements do not count; the gan's "estimate" is its discriminator loss`,
    },
    {
      id: 4,
      claim: 'It works without a DCGAN (MLP generator and critic)',
      answer: yn(
        wm.every((r) => stable(r) && diverse(r)),
        wm.length > 0,
      ),
      numbers: c4 + c4dc || 'no mlp runs',
      rule: 'yes when every wgan/wgan-gp run on the mlp model meets the rules of claims 1 and 2 on its own',
    },
  ];
}
