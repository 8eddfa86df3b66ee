/**
 * `npm run bench -- emoji_data [--data emoji] [--size 32] [--channels 3] [--no-load]`
 *
 * The figures of docs/DATASETS.md for the built-in emoji datasets: per source, the images its package
 * ships, what the rules leave out (not emoji, other skin tones), the duplicates dropped at this size
 * (byte-identical files, and pixel-identical after decoding, within and across sources), the final
 * train/test counts; the installed size of each package; and the time to load the dataset's train
 * split cold (decode into an empty cache) and cached.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadDataset } from '../src/data/load_node.js';
import { datasetPackageDirs } from '../src/data/plan_node.js';
import { decodeEmoji, emojiItems, emojiPackages, listEmoji } from '../src/data/emoji_node.js';
import { parseFlags } from './common.js';

export async function run(args: string[]): Promise<void> {
  const f = parseFlags(args, ['channels', 'data', 'size', 'no-load']);
  const data = f.data ?? 'emoji';
  const size = Number(f.size ?? 32),
    channels = Number(f.channels ?? 3) as 1 | 3;
  console.log(`bench emoji_data: ${data} at ${size}×${size}×${channels}`);

  const pkgs = emojiPackages(data);
  const dirs = datasetPackageDirs(pkgs, data);
  for (const [i, p] of pkgs.entries()) {
    const du = execFileSync('du', ['-sh', dirs[i]!], { encoding: 'utf8' }).split('\t')[0];
    console.log(`  package ${p}: ${du} installed (du -sh ${path.relative(process.cwd(), dirs[i]!)})`);
  }

  let t = performance.now();
  const listing = listEmoji(data);
  const all = emojiItems(listing);
  console.log(`  listing: ${(performance.now() - t).toFixed(0)} ms for ${all.length} drawings`);
  t = performance.now();
  const { images, first, skippedNames } = await decodeEmoji(all, size, channels);
  const decodeMs = performance.now() - t;
  const fileHash = all.map((it) => crypto.createHash('sha256').update(fs.readFileSync(it.file)).digest('hex'));
  const pixHash = images.map((px) => (px ? crypto.createHash('sha256').update(px).digest('hex') : ''));
  // The first item of each pixel group, to tell within- from cross-source duplicates.
  const firstOf = new Map<string, number>();
  pixHash.forEach((h, i) => {
    if (h && !firstOf.has(h)) firstOf.set(h, i);
  });
  console.log(`  decode: ${(decodeMs / 1000).toFixed(1)} s for ${all.length} images (${skippedNames.length} corrupt)`);

  console.log(
    '  source    files  not-emoji  other-tones  kept-by-rules  dup-byte  dup-pixel-only  (cross-source)  train  test',
  );
  let tr = 0,
    te = 0;
  for (const s of listing.sources) {
    let dupByte = 0,
      dupPix = 0,
      cross = 0,
      train = 0,
      test = 0;
    all.forEach((it, i) => {
      if (it.source !== s.kind || !images[i]) return;
      if (first[i]) {
        if (it.split === 'train') train++;
        else test++;
        return;
      }
      const j = firstOf.get(pixHash[i]!)!;
      if (fileHash[j] === fileHash[i]) dupByte++;
      else dupPix++;
      if (all[j]!.source !== s.kind) cross++;
    });
    tr += train;
    te += test;
    const d = s.dropped;
    console.log(
      `  ${s.kind.padEnd(9)} ${String(s.files).padStart(5)}  ${String(d.notEmoji).padStart(9)}  ${String(d.skinTone).padStart(11)}  ${String(s.items.length).padStart(13)}  ${String(dupByte).padStart(8)}  ${String(dupPix).padStart(14)}  ${String(cross).padStart(14)}  ${String(train).padStart(5)}  ${String(test).padStart(4)}` +
        (d.uncategorised || d.unmatched ? `  (uncategorised ${d.uncategorised}, unmatched ${d.unmatched})` : ''),
    );
  }
  console.log(`  total: ${tr} train + ${te} test = ${tr + te} images`);

  if (f['no-load'] === 'true') return;
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-emoji-bench-'));
  try {
    t = performance.now();
    const cold = await loadDataset({ data, size, channels, split: 'train', cacheDir });
    const coldMs = performance.now() - t;
    t = performance.now();
    const warm = await loadDataset({ data, size, channels, split: 'train', cacheDir });
    const warmMs = performance.now() - t;
    t = performance.now();
    const test = await loadDataset({ data, size, channels, split: 'test', cacheDir });
    const testMs = performance.now() - t;
    const bytes = fs.readdirSync(cacheDir).reduce((a, x) => a + fs.statSync(path.join(cacheDir, x)).size, 0);
    console.log(
      `  loadDataset train cold: ${(coldMs / 1000).toFixed(1)} s (${cold.n} images; decodes and caches both splits)`,
    );
    console.log(
      `  loadDataset train cached: ${(warmMs / 1000).toFixed(2)} s (${warm.n} images); test cached: ${(testMs / 1000).toFixed(2)} s (${test.n} images); cache ${(bytes / 2 ** 20).toFixed(1)} MB`,
    );
    console.log(
      `  sources: ${JSON.stringify(warm.sources?.map((s) => ({ name: s.name, version: s.version, licence: s.licence, count: s.count })))}`,
    );
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
}
