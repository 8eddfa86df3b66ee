/**
 * A queue worker's compute threads (thread.ts), one chunk each at a time, on the shared ThreadPool
 * (src/util/thread_pool_node.ts): a thread that dies unexpectedly is replaced (its chunk fails with an
 * error and BullMQ retries it); an aborted chunk whose thread does not answer within `graceMs` (stuck
 * inside one long iteration) is terminated and replaced. BullMQ's `concurrency` guarantees no more
 * chunks arrive than there are threads.
 */
import type { InpaintProgress } from '../inpaint/search.js';
import { ThreadPool } from '../util/thread_pool_node.js';
import type { ChunkOutcome, ThreadInit } from './thread.js';
import type { ChunkJob } from './protocol.js';

export type ThreadProgress = InpaintProgress;

/** Rejection of a chunk that was aborted (shutdown hand-back, cancel). */
export class ChunkAborted extends Error {
  override name = 'ChunkAborted';
}

export class ChunkThreads extends ThreadPool<ChunkJob, ThreadProgress, ChunkOutcome> {
  constructor(size: number, init: ThreadInit, graceMs = 2000) {
    super({
      url: new URL('./thread.js', import.meta.url),
      init,
      size,
      graceMs,
      what: 'compute thread',
      abortError: () => new ChunkAborted('chunk aborted'),
    });
  }
}
