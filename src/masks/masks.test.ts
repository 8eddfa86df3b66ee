import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MASK_KINDS, makeMask, invertMask, holeFraction, resizeMaskNearest, describeMaskKind } from './masks.js';
import type { Mask } from '../types.js';
import { UserError } from '../util/errors.js';

/** Expected default hole fraction of each kind and the tolerance allowed (absolute). */
const EXPECTED: Record<string, [fraction: number, tol: number]> = {
  center: [0.25, 0.01],
  random: [0.8, 0.03],
  left: [0.5, 0],
  right: [0.5, 0],
  top: [0.5, 0],
  bottom: [0.5, 0],
  half: [0.5, 0],
  pattern: [0.25, 0.01],
  grid: [1 - 1 / 16, 1e-9],
  rects: [0.25, 0.04],
  strokes: [0.25, 0.04],
};
const RANDOM_KINDS = ['random', 'pattern', 'rects', 'strokes'];

function count0(m: Mask): number {
  let c = 0;
  for (const v of m.data) if (v === 0) c++;
  return c;
}

test('MASK_KINDS lists every documented kind', () => {
  assert.deepEqual([...MASK_KINDS].sort(), Object.keys(EXPECTED).sort());
  for (const k of MASK_KINDS) assert.ok(describeMaskKind(k).length > 0);
});

test('every kind: shape, binary values, default hole fraction', () => {
  for (const kind of MASK_KINDS) {
    const [frac, tol] = EXPECTED[kind]!;
    for (const seed of [0, 1, 2]) {
      const m = makeMask(kind, 64, 64, { seed });
      assert.equal(m.height, 64);
      assert.equal(m.width, 64);
      assert.equal(m.data.length, 64 * 64);
      for (const v of m.data) assert.ok(v === 0 || v === 1, `${kind}: value ${v}`);
      const f = count0(m) / m.data.length;
      assert.ok(Math.abs(f - frac) <= tol, `${kind} seed ${seed}: hole fraction ${f}, expected ${frac} ± ${tol}`);
      assert.equal(holeFraction(m), f);
    }
  }
});

test('random kinds are deterministic for a seed and differ across seeds', () => {
  for (const kind of [...RANDOM_KINDS, 'half']) {
    const a = makeMask(kind, 48, 40, { seed: 5 });
    const b = makeMask(kind, 48, 40, { seed: 5 });
    assert.deepEqual(a.data, b.data, kind);
    if (kind === 'half') {
      // Only four outcomes: some seed among 0..19 must pick a different half.
      const others = Array.from({ length: 20 }, (_, s) => makeMask(kind, 48, 40, { seed: s }).data);
      assert.ok(
        others.some((d) => d.some((v, i) => v !== a.data[i])),
        'half never changes with the seed',
      );
    } else {
      const c = makeMask(kind, 48, 40, { seed: 6 });
      assert.notDeepEqual(a.data, c.data, kind);
    }
  }
});

test('halves: the named half is the hole', () => {
  // 3x4 grid: columns 0,1 are the left half; rows: floor(3/2) = 1 row is the top hole.
  const at = (m: Mask, y: number, x: number) => m.data[y * m.width + x];
  const left = makeMask('left', 3, 4);
  assert.deepEqual([...left.data], [0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1]);
  const right = makeMask('right', 3, 4);
  assert.deepEqual([...right.data], [1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0]);
  const top = makeMask('top', 4, 2);
  assert.deepEqual([...top.data], [0, 0, 0, 0, 1, 1, 1, 1]);
  const bottom = makeMask('bottom', 4, 2);
  assert.deepEqual([...bottom.data], [1, 1, 1, 1, 0, 0, 0, 0]);
  assert.equal(at(left, 0, 0), 0);
});

test('center: 8x8 default is the central 4x4 square; ratio option changes the size', () => {
  const m = makeMask('center', 8, 8);
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) {
      const inHole = y >= 2 && y < 6 && x >= 2 && x < 6;
      assert.equal(m.data[y * 8 + x], inHole ? 0 : 1, `(${y},${x})`);
    }
  }
  // ratio 0.5625 on 16x16 → side sqrt(144) = 12.
  assert.equal(count0(makeMask('center', 16, 16, { ratio: 0.5625 })), 144);
});

test('grid: keeps exactly every k-th pixel', () => {
  const m = makeMask('grid', 5, 5, { k: 2 });
  // known at rows/cols 0, 2, 4 → 9 known of 25.
  const expected = [1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1];
  assert.deepEqual([...m.data], expected);
});

test('random p and ratio options set the hole probability', () => {
  assert.ok(Math.abs(holeFraction(makeMask('random', 100, 100, { p: 0.3 })) - 0.3) < 0.03);
  assert.ok(Math.abs(holeFraction(makeMask('random', 100, 100, { ratio: 0.3 })) - 0.3) < 0.03);
  assert.ok(Math.abs(holeFraction(makeMask('pattern', 64, 64, { ratio: 0.5 })) - 0.5) < 0.01);
  assert.ok(Math.abs(holeFraction(makeMask('strokes', 64, 64, { ratio: 0.4, seed: 3 })) - 0.4) < 0.04);
  assert.ok(Math.abs(holeFraction(makeMask('rects', 64, 64, { ratio: 0.4, seed: 3 })) - 0.4) < 0.05);
});

test('pattern and strokes holes are blob-like (mostly 4-connected to other hole pixels)', () => {
  for (const kind of ['pattern', 'strokes']) {
    const m = makeMask(kind, 64, 64, { seed: 1 });
    let holes = 0,
      isolated = 0;
    for (let y = 1; y < 63; y++) {
      for (let x = 1; x < 63; x++) {
        if (m.data[y * 64 + x] !== 0) continue;
        holes++;
        const n = [m.data[(y - 1) * 64 + x], m.data[(y + 1) * 64 + x], m.data[y * 64 + x - 1], m.data[y * 64 + x + 1]];
        if (n.every((v) => v === 1)) isolated++;
      }
    }
    assert.ok(holes > 0 && isolated / holes < 0.01, `${kind}: ${isolated} of ${holes} hole pixels isolated`);
  }
});

test('non-square and tiny sizes work', () => {
  for (const kind of MASK_KINDS) {
    for (const [h, w] of [
      [1, 1],
      [2, 3],
      [17, 40],
    ] as const) {
      const m = makeMask(kind, h, w, { seed: 2 });
      assert.equal(m.data.length, h * w, kind);
    }
  }
});

test('unknown kind and bad options throw UserError', () => {
  assert.throws(
    () => makeMask('nope', 8, 8),
    (e: unknown) => e instanceof UserError && /unknown mask kind 'nope'.*center.*strokes/.test(e.message),
  );
  assert.throws(() => makeMask('center', 0, 8), UserError);
  assert.throws(() => makeMask('center', 8, 2.5), UserError);
  assert.throws(() => makeMask('center', 8, 8, { ratio: 1.5 }), UserError);
  assert.throws(() => makeMask('random', 8, 8, { p: -0.1 }), UserError);
  assert.throws(() => makeMask('grid', 8, 8, { k: 0 }), UserError);
});

test('invertMask, holeFraction, resizeMaskNearest', () => {
  const m: Mask = { data: Float32Array.from([1, 0, 0, 1]), height: 2, width: 2 };
  assert.deepEqual([...invertMask(m).data], [0, 1, 1, 0]);
  assert.equal(holeFraction(m), 0.5);
  assert.equal(holeFraction({ data: new Float32Array(4).fill(1), height: 2, width: 2 }), 0);
  const up = resizeMaskNearest(m, 4, 4);
  assert.deepEqual([...up.data], [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1]);
  const down = resizeMaskNearest(up, 2, 2);
  assert.deepEqual([...down.data], [1, 0, 0, 1]);
  const odd = resizeMaskNearest({ data: Float32Array.from([0, 1, 1]), height: 1, width: 3 }, 1, 6);
  assert.deepEqual([...odd.data], [0, 0, 1, 1, 1, 1]);
});

test('resizeMaskKeepHoles: shrinking never loses a hole (a fine grid stays all-hole), enlarging is nearest', async () => {
  const { resizeMaskKeepHoles } = await import('./masks.js');
  const grid = makeMask('grid', 256, 256);
  assert.ok(holeFraction(grid) > 0.9);
  const small = resizeMaskKeepHoles(grid, 32, 32);
  assert.equal(holeFraction(small), 1); // every 8×8 block contains hole pixels
  const c = makeMask('center', 64, 64);
  const cs = resizeMaskKeepHoles(c, 32, 32);
  // every source hole pixel lies under a target hole pixel
  for (let y = 0; y < 64; y++)
    for (let x = 0; x < 64; x++) if (c.data[y * 64 + x] === 0) assert.equal(cs.data[(y >> 1) * 32 + (x >> 1)], 0);
  const up = resizeMaskKeepHoles(cs, 64, 64);
  assert.equal(up.height, 64);
  assert.equal(holeFraction(up), holeFraction(cs));
});
