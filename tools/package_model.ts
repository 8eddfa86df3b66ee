/**
 * Package a training run as a shipped model: `node dist/tools/package_model.js --run RUN_DIR --name NAME
 * [--samples 8] [--eval EVAL_DIR] [--note TEXT]` → models/NAME/ with generator/, critic/, manifest.json
 * (the run's manifest plus git commit, packaging date, a note and eval figures) and samples/ (held-out
 * TEST images of the run's dataset, with their licence). Optimizer state is left out: a shipped model
 * is for inference. The old package's classifier/ (it does not depend on G) is kept; its encoder/ and
 * domain statistics belong to the old generator and are dropped: re-run `wgan-inpaint calibrate` and
 * `npm run retrain-encoders NAME` after packaging a new generator.
 *
 * `--name NAME --eval EVAL_DIR --update` only records an evaluation in the existing package's manifest
 * (extra.eval), keeping everything else. EVAL_DIR may list several report folders, comma-separated (one
 * per mask kind, as tools/eval_full.sh writes them): they are merged into one (mergeReports).
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { resolveCheckpointDir } from '../src/train/checkpoint.js';
import { readManifest, updateManifest, MANIFEST_FILE } from '../src/train/manifest.js';
import { MODELS_DIR } from '../src/io/paths.js';
import { writeDirAtomic } from '../src/io/atomic.js';
import { loadDataset } from '../src/data/load_node.js';
import { toImageBatch } from '../src/data/dataset.js';
import { writePng } from '../src/io/image.js';
import { DATASETS, isBuiltin } from '../src/data/registry.js';
import { toolFlags } from '../bench/common.js';
import { mergeReports } from '../src/eval/report.js';

const f = toolFlags('package_model', ['eval', 'name', 'note', 'run', 'samples', 'update']);
const readOne = (dir: string) => {
  const file = path.join(dir, 'results.json');
  if (!fs.existsSync(file)) throw new Error(`package_model: no ${file}`);
  // Paths inside the checkout relative to it: the manifest is committed and read on other machines.
  const root = process.cwd() + path.sep;
  return JSON.parse(fs.readFileSync(file, 'utf8').split(JSON.stringify(root).slice(1, -1)).join('')) as Record<
    string,
    unknown
  >;
};
/** One report folder, or several joined by commas (merged: mergeReports). */
const readEval = (dirs: string) =>
  dirs
    .split(',')
    .map(readOne)
    .reduce((acc, r) => mergeReports(acc, r) as Record<string, unknown>);
/** The training data's source and licence, for the manifest (built-ins: the registry's; sets of several sources list each in dataset.sources). */
const dataLicence = (data: string) =>
  isBuiltin(data)
    ? {
        name: data,
        source: DATASETS[data as keyof typeof DATASETS].source,
        licence: DATASETS[data as keyof typeof DATASETS].licence,
      }
    : { name: data, source: data, licence: 'see the folder' };
if (f.update === 'true') {
  if (!f.name || !f.eval) {
    console.error('usage: package_model --name NAME --eval EVAL_DIR --update');
    process.exit(2);
  }
  const dir = path.join(MODELS_DIR, f.name);
  const results = readEval(f.eval);
  updateManifest(dir, (m) => ({
    ...m,
    extra: {
      ...((m.extra as Record<string, unknown>) ?? {}),
      data: dataLicence((m.config as { data: string }).data),
      eval: results,
    },
  }));
  console.log(`recorded ${f.eval} in ${path.join(dir, MANIFEST_FILE)}`);
  process.exit(0);
}
if (!f.run || !f.name) {
  console.error('usage: package_model --run RUN_DIR --name NAME [--samples 8] [--eval EVAL_DIR]');
  process.exit(2);
}
const ck = resolveCheckpointDir(f.run);
const manifest = readManifest(ck);
const c = manifest.config;
let commit = 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
} catch {}
const evalDir = f.eval;
const evalResults = evalDir ? readEval(evalDir) : undefined;
const test = await loadDataset({ data: c.data, size: c.size, channels: c.channels, split: 'test' });
const n = Number(f.samples ?? 8);
// Evenly spaced test images (so several classes show up), not the first n.
const idx = Array.from({ length: n }, (_, i) => Math.floor((i * test.n) / n));
const dest = path.join(MODELS_DIR, f.name);
const oldClassifier = path.join(dest, 'classifier');
await writeDirAtomic(dest, async (tmp) => {
  for (const part of ['generator', 'critic']) fs.cpSync(path.join(ck, part), path.join(tmp, part), { recursive: true });
  if (fs.existsSync(oldClassifier)) fs.cpSync(oldClassifier, path.join(tmp, 'classifier'), { recursive: true });
  fs.mkdirSync(path.join(tmp, 'samples'));
  const imgs = toImageBatch(test, idx);
  for (let i = 0; i < n; i++)
    await writePng(path.join(tmp, 'samples', `${String(i).padStart(2, '0')}-test-${idx[i]}.png`), imgs, i);
  const info = isBuiltin(c.data) ? DATASETS[c.data as keyof typeof DATASETS] : undefined;
  fs.writeFileSync(
    path.join(tmp, 'samples', 'LICENSE.txt'),
    `Held-out TEST-split images of '${c.data}' (indices ${idx.join(', ')} of ${test.n}), resized to ${c.size}×${c.size}×${c.channels}.\n` +
      `Source: ${info ? `${info.source}; licence: ${info.licence}` : c.data}\n` +
      // Sets assembled from several licensed sources: each source's licence and credit line.
      (test.sources ?? [])
        .map((s) => `- ${s.name} (${s.packages.join(', ')}; ${s.count} test images): ${s.licence}. ${s.attribution}\n`)
        .join(''),
  );
  const out = {
    ...manifest,
    sampler: undefined,
    rngState: undefined,
    extra: {
      ...(manifest.extra ?? {}),
      ...(f.note ? { note: f.note } : {}),
      data: dataLicence(c.data),
      gitCommit: commit,
      packagedAt: new Date().toISOString(),
      packagedFrom: ck,
      ...(evalResults ? { eval: evalResults } : {}),
    },
  };
  fs.writeFileSync(path.join(tmp, MANIFEST_FILE), `${JSON.stringify(out, null, 2)}\n`);
});
console.log(`packaged ${ck} → ${dest}`);
