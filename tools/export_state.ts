/**
 * Export a training run's resumable state into the repository, replacing the previous one:
 *
 *   node dist/tools/export_state.js --run runs/fashion-mnist-v2 --to training/fashion-mnist
 *
 * Copies config.json, stats.jsonl, the plot, the latest sample grid and the newest checkpoint (with
 * optimizer, sampler and RNG state) — see RunDir.exportResumable. The next session, on any machine,
 * continues with `wgan-inpaint train --out training/fashion-mnist --resume [--iters N]`.
 */
import { RunDir } from '../src/train/run_dir.js';
import { toolFlags } from '../bench/common.js';

const f = toolFlags('export_state', ['run', 'to']);
if (!f.run || !f.to) {
  console.error('usage: export_state --run RUN_DIR --to DEST_DIR');
  process.exit(2);
}
const ck = await new RunDir(f.run).exportResumable(f.to);
console.log(`exported ${f.run} → ${f.to} (checkpoint ${ck})`);
