import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summariseRun, summariseCells, answerClaims, RULES, type RunRecord, type RunStat } from './analysis.js';

/**
 * A hand-made run: `points` measurements every 10 iterations; FD falls from 100 by `fdStep` per
 * measurement; the estimate per iteration is `est(k)` at measurement k (constant within an interval).
 */
function run(o: {
  name?: string;
  loss: string;
  model?: string;
  seed?: number;
  points?: number;
  fdStep?: number;
  est?: (k: number) => number;
  modes?: number;
  collapsedLast?: boolean;
  exploding?: number;
  diverged?: boolean;
  iters?: number;
}): RunRecord {
  const points = o.points ?? 8,
    every = 10;
  const stats: RunStat[] = [];
  for (let it = 1; it <= points * every; it++) {
    const k = Math.ceil(it / every) - 1;
    const s: RunStat = { iter: it, wEstimate: (o.est ?? ((j) => 10 - j))(k), criticLoss: -1 };
    if (it % every === 0) {
      Object.assign(s, {
        fdClassifier: 100 - (o.fdStep ?? 10) * k,
        modes: o.modes ?? 10,
        klUniform: 0.05,
        spreadRatio: 0.8,
        collapsed: false,
        exploding: o.exploding === k,
      });
      if (k === points - 1 && o.collapsedLast) Object.assign(s, { collapsed: true, spreadRatio: 0.1 });
    }
    stats.push(s);
  }
  return {
    name: o.name ?? `${o.loss}-${o.model ?? 'dcgan'}-s${o.seed ?? 0}`,
    loss: o.loss,
    model: o.model ?? 'dcgan',
    seed: o.seed ?? 0,
    iters: o.iters ?? points * every,
    stats,
    diverged: o.diverged ? { iter: points * every, key: 'criticLoss' } : null,
    trainSeconds: 40,
  };
}

test('summariseRun: FD first/last/fell, interval-mean estimate, ρ, modes, health', () => {
  const s = summariseRun(run({ loss: 'wgan-gp' }), 10);
  assert.equal(s.wasserstein, true);
  assert.equal(s.estimate, 'Ŵ');
  assert.deepEqual(s.series.iter, [10, 20, 30, 40, 50, 60, 70, 80]);
  assert.deepEqual(s.series.fd, [100, 90, 80, 70, 60, 50, 40, 30]);
  assert.deepEqual(s.series.estimate, [10, 9, 8, 7, 6, 5, 4, 3]);
  assert.equal(s.fdFirst, 100);
  assert.equal(s.fdLast, 30);
  assert.equal(s.fdFell, true);
  assert.equal(s.rho, 1);
  assert.equal(s.points, 8);
  assert.equal(s.healthy, true);
  assert.equal(s.secondsPerIter, 0.5);
  // The estimate is averaged over the interval ending at each measurement: 5 iterations of 2, 5 of 4 → 3.
  const r = run({ loss: 'wgan', points: 5 });
  r.stats.forEach((x, i) => {
    if (i < 10) x.wEstimate = i < 5 ? 2 : 4;
  });
  assert.equal(summariseRun(r, 10).series.estimate[0], 3);
  // The gan's number is its discriminator loss; too few points → no ρ.
  const g = summariseRun(run({ loss: 'gan', points: RULES.minPoints - 1 }), 10);
  assert.equal(g.wasserstein, false);
  assert.equal(g.estimate, 'L_D');
  assert.equal(g.rho, null);
  // Collapsed at the end, 3 modes, exploding, diverged, unfinished: each makes the run unhealthy.
  for (const bad of [
    { collapsedLast: true },
    { modes: 3 },
    { exploding: 4 },
    { diverged: true },
    { iters: 1000 },
    { fdStep: 1 },
  ]) {
    assert.equal(summariseRun(run({ loss: 'wgan', ...bad }), 10).healthy, false, JSON.stringify(bad));
  }
  assert.equal(summariseRun(run({ loss: 'wgan', exploding: 4 }), 10).explodedAt, 50);
});

test('answerClaims: yes / no / n/a by the stated rules, gan runs as the baseline only', () => {
  const good = [
    run({ loss: 'wgan' }),
    run({ loss: 'wgan-gp' }),
    run({ loss: 'wgan', model: 'mlp' }),
    run({ loss: 'wgan-gp', model: 'mlp' }),
  ];
  const ganBad = [
    run({ loss: 'gan', collapsedLast: true, modes: 2, est: (k) => 0.5 + 0.1 * (k % 2) }),
    run({ loss: 'gan', model: 'mlp', diverged: true }),
  ];
  const sum = (rs: RunRecord[]) => rs.map((r) => summariseRun(r, 10));
  const a = answerClaims(sum([...good, ...ganBad]));
  assert.deepEqual(
    a.map((c) => c.answer),
    ['yes', 'yes', 'yes', 'yes'],
    JSON.stringify(a, null, 1),
  );
  assert.match(
    a[0]!.numbers,
    /^wgan, 2 runs: 0 diverged, 0 exploded, FD fell in 2; wgan-gp, 2 runs: .*; gan \(baseline\), 2 runs: 1 diverged/,
  );
  assert.match(a[1]!.numbers, /gan \(baseline\), 2 runs: 1 collapsed at the end, modes 2, 10 \(of 10\)/);
  assert.match(a[0]!.rule, /0.75/);
  // One collapsed WGAN run → claim 2 no; an exploding MLP run → claims 1 and 4 no.
  const b = answerClaims(
    sum([run({ loss: 'wgan', collapsedLast: true }), run({ loss: 'wgan-gp', model: 'mlp', exploding: 3 })]),
  );
  assert.deepEqual(
    b.map((c) => c.answer),
    ['no', 'no', 'yes', 'no'],
  );
  // An estimate that rises while FD falls → ρ = −1 → claim 3 no.
  const c = answerClaims(sum([run({ loss: 'wgan-gp', est: (k) => k })]));
  assert.equal(c[2]!.answer, 'no');
  assert.match(c[2]!.numbers, /wgan-gp: median ρ -1.00/);
  // Only gan runs, or no mlp: n/a.
  assert.deepEqual(
    answerClaims(sum(ganBad)).map((x) => x.answer),
    ['n/a', 'n/a', 'n/a', 'n/a'],
  );
  assert.equal(answerClaims(sum([run({ loss: 'wgan' })]))[3]!.answer, 'n/a');
});

test('summariseCells: per loss × model over seeds', () => {
  const cells = summariseCells(
    [
      run({ loss: 'wgan', seed: 0 }),
      run({ loss: 'wgan', seed: 1, fdStep: 5, collapsedLast: true }),
      run({ loss: 'gan', diverged: true }),
    ].map((r) => summariseRun(r, 10)),
  );
  assert.deepEqual(
    cells.map((c) => [c.loss, c.model, c.seeds, c.diverged, c.collapsed, c.fdFell]),
    [
      ['wgan', 'dcgan', 2, 0, 1, 2],
      ['gan', 'dcgan', 1, 1, 0, 1],
    ],
  );
  assert.equal(cells[0]!.fdLastMean, (30 + 65) / 2);
  assert.ok(Math.abs(cells[0]!.fdLastSd! - Math.sqrt(2 * 17.5 ** 2)) < 1e-9);
  assert.equal(cells[0]!.rhoMedian, 1);
});
