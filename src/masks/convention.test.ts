import { test } from 'node:test';
import assert from 'node:assert/strict';
import { holeWarning, maskFromPixels, maskToGrey, parseMaskConvention } from './convention.js';
import { UserError } from '../util/errors.js';

test('maskFromPixels: white = hole by default, transparent = known; known-white is the other way for opaque pixels only', () => {
  // grey+alpha: white opaque, black opaque, white transparent, black transparent, mid-grey (129) opaque
  const px = [255, 255, 0, 255, 255, 0, 0, 0, 129, 255];
  assert.deepEqual([...maskFromPixels(px, 5, 1, 2, true).data], [0, 1, 1, 1, 0]);
  assert.deepEqual([...maskFromPixels(px, 5, 1, 2, true, 'known-white').data], [1, 0, 1, 1, 1]);
  // RGB without alpha: the brightest channel decides (a red stroke is white enough).
  assert.deepEqual([...maskFromPixels([255, 0, 0, 10, 20, 30], 2, 1, 3, false).data], [0, 1]);
});

test('maskFromPixels: a 0/1 mask (OpenCV non-zero = inpaint, saved without scaling) reads 1 as white', () => {
  assert.deepEqual([...maskFromPixels([0, 1, 1, 0], 4, 1, 1, false).data], [1, 0, 0, 1]);
  // With any brighter value the usual 50 % threshold holds: 1 is dark then.
  assert.deepEqual([...maskFromPixels([0, 1, 255, 0], 4, 1, 1, false).data], [1, 1, 0, 1]);
});

test('maskToGrey round-trips through maskFromPixels in both conventions; holeWarning above 60 %; bad names refused', () => {
  const m = { data: Float32Array.from([1, 0, 0, 1, 1, 1]), height: 2, width: 3 };
  for (const c of ['hole-white', 'known-white'] as const) {
    const grey = Array.from(maskToGrey(m, c), (v) => v * 255);
    assert.deepEqual([...maskFromPixels(grey, 3, 2, 1, false, c).data], [...m.data], c);
  }
  assert.deepEqual([...maskToGrey(m)], [0, 1, 1, 0, 0, 0]);
  const flag = (c: string) => `--mask-convention ${c}`;
  assert.equal(holeWarning(m, 'hole-white', 'm', flag), null);
  const most = { data: Float32Array.from([0, 0, 0, 0, 1]), height: 1, width: 5 };
  assert.equal(
    holeWarning({ data: Float32Array.from([0, 0, 0, 1, 1]), height: 1, width: 5 }, 'hole-white', 'm', flag),
    null,
    'exactly 60 % is not above it',
  );
  assert.match(
    holeWarning(most, 'hole-white', "mask 'x.png'", flag)!,
    /^mask 'x\.png' makes 80\.0 % of the image a hole, read as hole-white \(white = hole\); if white marks the pixels to keep, give --mask-convention known-white$/,
  );
  assert.throws(
    () => parseMaskConvention('white'),
    (e: unknown) =>
      e instanceof UserError && /--mask-convention must be hole-white or known-white, got 'white'/.test(e.message),
  );
});
