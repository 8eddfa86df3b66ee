/**
 * `npm run bench -- <name> [args]`: runs bench/<name>.ts, which exports `run(args)` and prints figures
 * (medians, GFLOP/s, ratios). Benchmarks are never part of `npm test`.
 */
const [name, ...args] = process.argv.slice(2);
const known = [
  'kernels',
  'train',
  'inpaint',
  'recipes',
  'baselines',
  'queue',
  'poisson',
  'claims',
  'native_gemm',
  'emoji_data',
  'all',
];
if (!name || !known.includes(name)) {
  console.error(`usage: npm run bench -- <${known.join('|')}> [options]`);
  process.exit(2);
}
if (name === 'all' && args.length) {
  // Each benchmark has its own options; one set for all of them would be refused by most.
  console.error('bench all: takes no options (run the benchmarks one by one to pass options)');
  process.exit(2);
}
// `all` = the speed benchmarks; emoji_data measures a dataset (minutes of decoding, needs its packages).
const names = name === 'all' ? known.filter((k) => k !== 'all' && k !== 'emoji_data') : [name];
for (const n of names) {
  const m = (await import(`./${n}.js`)) as { run(args: string[]): Promise<void> };
  try {
    await m.run(args);
  } catch (e) {
    // One line naming the problem (a missing build, a bad flag), not a stack trace.
    console.error(`bench ${n}: ${(e as Error).message.replace(/^bench \w+: /, '')}`);
    process.exit(1);
  }
}
