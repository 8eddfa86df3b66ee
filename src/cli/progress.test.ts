/**
 * The progress bar's ETA: none until a few updates past the first have been timed, then the pace of
 * those updates — not the time since the command started (which holds its set-up) over the work done.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressBar } from './progress.js';

/** A non-TTY stream that keeps what is written. */
function sink(): NodeJS.WriteStream & { lines: string[] } {
  const lines: string[] = [];
  return {
    isTTY: false,
    lines,
    write: (s: string) => {
      lines.push(s);
      return true;
    },
  } as unknown as NodeJS.WriteStream & {
    lines: string[];
  };
}

test("eval's case: 60 s of set-up, then a 2 s first iteration and 0.1 s per iteration: no ETA until measured, then the true time left", () => {
  let now = 0;
  const out = sink();
  // plainEverySec 0: a line per update, so every update's ETA can be read.
  const bar = new ProgressBar(out, 0, () => now);
  now = 60; // loading the model, the data set and the classifier
  const total = 2000;
  const eta: string[] = [];
  for (let done = 1; done <= 40; done++) {
    now += done === 1 ? 2 : 0.1;
    bar.update(done, total, 'measured', '');
    eta.push(/ETA (\S+)/.exec(out.lines.at(-1)!)![1]!);
  }
  // The first update (after the set-up), the compile-heavy first iteration and the first ≥ 1 s of
  // timed ones: no figure, not a wrong one (elapsed / done said 1h43m here).
  assert.deepEqual(eta.slice(0, 4), ['…', '…', '…', '…']);
  const first = eta.findIndex((e) => e !== '…');
  assert.ok(first > 0 && first <= 13, `first ETA at update ${first + 1}: ${eta.join(' ')}`);
  // Then the pace of the timed iterations: (2000 − done) × 0.1 s ≈ 3m16s.
  const secs = (e: string) => {
    const m = /^(?:(\d+)m)?(\d+)s$/.exec(e)!;
    return Number(m[1] ?? 0) * 60 + Number(m[2]);
  };
  for (const [i, e] of eta.slice(first).entries()) {
    const truth = (total - (first + i + 1)) * 0.1;
    assert.ok(Math.abs(secs(e) - truth) <= 2, `update ${first + i + 1}: ETA ${e}, truth ${truth.toFixed(0)} s`);
  }
});

test('a given ETA is shown as given; progress going back (the next image) starts the measurement over', () => {
  let now = 0;
  const out = sink();
  const bar = new ProgressBar(out, 0, () => now);
  bar.update(5, 10, 125, '');
  assert.match(out.lines.at(-1)!, /ETA 2m05s/);
  for (let done = 1; done <= 10; done++) {
    now += 1;
    bar.update(done, 10, 'measured', '');
  }
  assert.match(out.lines.at(-1)!, /ETA 0s/);
  now += 1;
  bar.update(1, 10, 'measured', '');
  assert.match(out.lines.at(-1)!, /ETA …/, 'the next image: measured again');
});
