/**
 * The search options `inpaint` and `batch` share (iters, restarts, λ, …): their flags, their help
 * lines and their parsing, in one place so the two commands cannot drift apart.
 */
import { str, numOpt, type OptionSpec, type Values } from './command.js';
import { DEFAULT_INPAINT, resolveInpaintOptions, type InpaintOptions } from '../inpaint/search.js';

export const INPAINT_OPTION_FLAGS: OptionSpec = {
  iters: { type: 'string' }, restarts: { type: 'string' }, lambda: { type: 'string' }, lr: { type: 'string' },
  seed: { type: 'string' }, blend: { type: 'string' }, window: { type: 'string' }, 'progress-every': { type: 'string' },
};

export const INPAINT_OPTION_HELP = `  --iters N            Adam iterations on z [default: ${DEFAULT_INPAINT.iters}]
  --restarts K         random restarts per image, the best final loss wins [default: ${DEFAULT_INPAINT.restarts}]
  --lambda X           weight of the prior loss [default: ${DEFAULT_INPAINT.lambda}]
  --lr X               Adam learning rate on z [default: ${DEFAULT_INPAINT.lr}]
  --seed N             [default: 0]
  --blend poisson|none [default: poisson]
  --window N           importance-weight window (odd) [default: ${DEFAULT_INPAINT.window}]
  --progress-every N   also write progress.gif with G(z) every N iterations [default: off]`;

/** The resolved search options from the command line (UserError on a bad value). */
export function inpaintOptionsFrom(v: Values): InpaintOptions {
  const opts: Partial<InpaintOptions> = {};
  const set = <K extends keyof InpaintOptions>(k: K, x: InpaintOptions[K] | undefined) => { if (x !== undefined) opts[k] = x; };
  set('iters', numOpt(v, 'iters', { int: true })); set('restarts', numOpt(v, 'restarts', { int: true })); set('lambda', numOpt(v, 'lambda', {}));
  set('lr', numOpt(v, 'lr', {})); set('seed', numOpt(v, 'seed', { int: true })); set('window', numOpt(v, 'window', { int: true }));
  set('progressEvery', numOpt(v, 'progress-every', { int: true })); set('blend', str(v, 'blend') as InpaintOptions['blend'] | undefined);
  return resolveInpaintOptions(opts);
}
