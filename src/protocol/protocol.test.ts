/**
 * The wire protocol's two ends: every event the server encodes decodes to the same event on the page's
 * side, an unknown event name is ignored, and the one result conversion reports what every surface
 * reports (a failed search as its line, no search as zero losses, the fit's regions).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeEvent, encodeEvent, EVENT_NAMES, type ServerEvent } from './api.js';
import { completedImage, formDefaults, NO_SEARCH_LOSSES, resizeOf, resultData } from './convert.js';
import { INIT_DEFAULTS } from '../inpaint/options.js';
import { UserError } from '../util/errors.js';

/** The page's SSE parsing (src/web/sse.ts) reduced to one event: its name and data lines. */
function parseOne(text: string): { event: string; data: string } {
  assert.ok(text.endsWith('\n\n'), 'an event ends with a blank line');
  const lines = text.trimEnd().split('\n');
  const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
  const data = lines
    .filter((l) => l.startsWith('data: '))
    .map((l) => l.slice(6))
    .join('\n');
  return { event, data };
}

const resize = resizeOf({ width: 40, height: 30 }, { width: 28, height: 28 }, 'whole', [
  { crop: { left: 0, top: 0, width: 40, height: 30, side: 30 }, resized: true },
]);

const EVENTS: ServerEvent[] = [
  { event: 'queued', data: { position: 2 } },
  {
    event: 'start',
    data: {
      model: 'm',
      start: 'random',
      iters: 5,
      restarts: 1,
      options: formDefaults({ encoder: null, fit: 'whole' }, 'auto').options,
      resize,
      holeFraction: 0.25,
      maskConvention: 'hole-white',
      warning: 'a line\nwith a newline',
    },
  },
  {
    event: 'progress',
    data: { iter: 1, iters: 5, contextual: 0.5, prior: -0.1, preview: 'data:image/png;base64,AA==' },
  },
  { event: 'error', data: { error: "job exceeded this server's time limit of 300 s" } },
];

test('every event encodes to one SSE block that decodes to the same event', () => {
  assert.deepEqual(
    [...new Set(EVENTS.map((e) => e.event))].sort(),
    EVENT_NAMES.filter((n) => n !== 'result').sort(),
    'each event but result (below) is covered',
  );
  for (const e of EVENTS) {
    const { event, data } = parseOne(encodeEvent(e));
    assert.deepEqual(decodeEvent(event, data), e);
  }
  assert.equal(decodeEvent('hello', '{}'), null, 'an event this protocol does not have is ignored');
});

test('the result conversion: a failed search is its line, no search is zero losses, images encoded in order', async () => {
  assert.throws(
    () => completedImage({ masked: 1, raw: 2, composite: 3, blended: 4, losses: null, error: 'NaN loss' }),
    (e: Error) => e instanceof UserError && e.message === 'NaN loss',
  );
  const c = completedImage({ masked: 1, raw: 2, composite: 3, blended: 4, losses: null });
  assert.deepEqual(c.losses, NO_SEARCH_LOSSES);
  assert.equal('domain' in c, false);
  const r = await resultData(c, async (n) => `png${n}`, {
    input: 'in',
    mask: 'mask',
    maskConvention: 'hole-white',
    resize,
    seconds: 1.5,
    backend: 'cpu',
  });
  assert.deepEqual([r.masked, r.raw, r.composite, r.blended, r.domain], ['png1', 'png2', 'png3', 'png4', null]);
  const { event, data } = parseOne(encodeEvent({ event: 'result', data: r }));
  assert.deepEqual(decodeEvent(event, data), { event: 'result', data: r });
  assert.deepEqual(resize.regions, [{ left: 0, top: 0, width: 40, height: 30 }]);
});

test("the page's form: the schema's defaults per start and the model's fit", () => {
  const enc = { model: 'e/model.json', manifest: 'e/manifest.json', digest: 'd' };
  const f = (encoder: typeof enc | null, fit: 'whole' | 'crop', init: 'auto' | 'encoder' | 'random') => {
    const { options, start } = formDefaults({ encoder, fit }, init);
    return [start, options.iters, options.restarts, options.fit];
  };
  const { random: r, encoder: e } = INIT_DEFAULTS;
  assert.deepEqual(f(enc, 'whole', 'auto'), ['encoder', e.iters, e.restarts, 'whole']);
  assert.deepEqual(f(enc, 'crop', 'random'), ['random', r.iters, r.restarts, 'crop']);
  assert.deepEqual(f(null, 'crop', 'encoder'), ['random', r.iters, r.restarts, 'crop'], 'no encoder: auto');
});
