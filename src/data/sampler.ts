/**
 * Seeded, resumable mini-batch sampler. The index stream is the concatenation of one fresh permutation
 * of [0, n) per epoch; batches are consecutive chunks of that stream, so a batch may straddle two
 * epochs but every image appears exactly once per epoch and no image is ever dropped.
 *
 * The state is plain JSON ({ seed, epoch, pos, rngState, n }) saved in checkpoints: `rngState` is the
 * Rng state *before* the current epoch's shuffle, so the permutation can be rebuilt on resume and the
 * data order continues exactly as if training had never stopped.
 */
import { Rng } from '../util/rng.js';
import { UserError } from '../util/errors.js';

export interface SamplerState {
  seed: number;
  /** Epochs completed (0 during the first pass). */
  epoch: number;
  /** Position inside the current epoch's permutation, in [0, n). */
  pos: number;
  /** Rng state (uint32) before the current epoch was shuffled. */
  rngState: number;
  /** Dataset size the state was made for; checked on resume when present. */
  n?: number;
}

export class BatchSampler {
  readonly n: number;
  readonly batch: number;
  readonly seed: number;
  private rng: Rng;
  private perm: Int32Array;
  private epochNo = 0;
  private pos = 0;
  private epochRngState = 0;

  constructor(n: number, batch: number, seed: number) {
    if (!(Number.isInteger(n) && n > 0))
      throw new UserError(`sampler: dataset size must be a positive integer, got ${n}`);
    if (!(Number.isInteger(batch) && batch > 0))
      throw new UserError(`sampler: batch size must be a positive integer, got ${batch}`);
    this.n = n;
    this.batch = batch;
    this.seed = seed >>> 0;
    this.rng = new Rng(this.seed);
    this.perm = new Int32Array(n);
    this.shuffleEpoch();
  }

  /** Rebuild a sampler from `state()` output; continues with the identical index sequence. */
  static fromState(n: number, batch: number, s: SamplerState): BatchSampler {
    if (s.n !== undefined && s.n !== n) {
      throw new UserError(`sampler: the dataset has ${n} images but the saved state was made for ${s.n}`);
    }
    if (!(Number.isInteger(s.pos) && s.pos >= 0 && s.pos < n) || !(Number.isInteger(s.epoch) && s.epoch >= 0)) {
      throw new UserError(`sampler: invalid saved state (epoch ${s.epoch}, pos ${s.pos}, n ${n})`);
    }
    const sp = new BatchSampler(n, batch, s.seed);
    sp.rng.state = s.rngState >>> 0;
    sp.epochNo = s.epoch;
    sp.shuffleEpoch();
    sp.pos = s.pos;
    return sp;
  }

  /** The next `batch` image indices (a fresh array each call; callers may keep it). */
  next(): Int32Array {
    const out = new Int32Array(this.batch);
    for (let k = 0; k < this.batch; k++) {
      if (this.pos === this.n) {
        this.epochNo++;
        this.shuffleEpoch();
      }
      out[k] = this.perm[this.pos++]!;
    }
    // Normalise so that state() never reports pos = n (an epoch that is finished but not yet reshuffled).
    if (this.pos === this.n) {
      this.epochNo++;
      this.shuffleEpoch();
    }
    return out;
  }

  /** Epochs completed so far (fractional progress = epoch + pos / n). */
  get epoch(): number {
    return this.epochNo;
  }

  /** Fraction of epochs done, e.g. 2.5 = halfway through the third epoch. */
  get progress(): number {
    return this.epochNo + this.pos / this.n;
  }

  /** Plain-JSON state for checkpoints. */
  state(): SamplerState {
    return { seed: this.seed, epoch: this.epochNo, pos: this.pos, rngState: this.epochRngState, n: this.n };
  }

  private shuffleEpoch(): void {
    this.epochRngState = this.rng.state;
    for (let i = 0; i < this.n; i++) this.perm[i] = i;
    this.rng.shuffle(this.perm);
    this.pos = 0;
  }
}
