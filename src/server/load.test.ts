/**
 * A bounded load test on loopback only: 50 concurrent inpainting requests against one server; every
 * one is answered (a result stream or 429 + Retry-After), none lost, the server stays up, its tensors
 * and memory come back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { startTestServer, pngDataUrl, testImage, parseSse, serverTensors } from '../testing/server_fixture.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

async function settle(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  return process.memoryUsage().rss;
}

test('50 concurrent requests: each gets a result or 429, the server stays up, memory returns', async () => {
  const S = await startTestServer({ limits: { maxWaiting: 8 } });
  try {
    const body = JSON.stringify({
      model: 'tiny',
      image: await pngDataUrl(testImage()),
      mask: { kind: 'center' },
      options: { iters: 5, restarts: 1 },
    });
    const once = async (): Promise<'result' | 429> => {
      const r = await fetch(`${S.url}/api/inpaint`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(60_000),
      });
      if (r.status === 429) {
        assert.match(r.headers.get('retry-after') ?? '', /^\d+$/);
        assert.match(((await r.json()) as { error: string }).error, /server busy/);
        return 429;
      }
      assert.equal(r.status, 200);
      const ev = parseSse(await r.text());
      assert.equal(ev.at(-1)!.event, 'result');
      return 'result';
    };
    // Warm up (first-call kernel setup, sharp init) before measuring memory.
    assert.equal(await once(), 'result');
    const tensors0 = await serverTensors(S.url);
    const rss0 = await settle();
    for (let round = 0; round < 2; round++) {
      const answers = await Promise.all(Array.from({ length: 50 }, once));
      const results = answers.filter((a) => a === 'result').length;
      const busy = answers.filter((a) => a === 429).length;
      assert.equal(results + busy, 50);
      // One runs and 8 wait; the rest arrive while they are still queued (5 iterations ≫ request parsing).
      assert.ok(results >= 9, `only ${results} results`);
      assert.ok(busy >= 1, 'the queue never filled');
    }
    const h = await fetch(`${S.url}/healthz`);
    assert.equal(h.status, 200);
    assert.deepEqual(((await h.json()) as any).jobs, { running: 0, waiting: 0 });
    assert.equal(await serverTensors(S.url), tensors0, 'tensors leaked under load');
    const rss1 = await settle();
    assert.ok(rss1 - rss0 < 200 * 1024 * 1024, `RSS grew by ${((rss1 - rss0) / 2 ** 20).toFixed(0)} MiB`);
  } finally {
    await S.stop();
  }
});
