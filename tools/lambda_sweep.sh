#!/usr/bin/env bash
# Choose the default λ (weight of the critic prior) by experiment: run `eval` with the `wgan` method
# only, for several λ, on the same seeded images and masks, and print one table (markdown).
# usage: tools/lambda_sweep.sh MODEL OUT_DIR [N] [ITERS] [RESTARTS] [MASKS] [LAMBDAS]
set -euo pipefail
model=$1; out=$2; n=${3:-64}; iters=${4:-300}; restarts=${5:-2}; masks=${6:-center,half,pattern}
lambdas=${7:-"0 0.003 0.03 0.1 0.3 1 3"}
for l in $lambdas; do
  node dist/src/cli/main.js eval --model "$model" --masks "$masks" --n "$n" --iters "$iters" --restarts "$restarts" \
    --lambda "$l" --methods wgan --fd-n 2 --grid-rows 4 --out "$out/lambda-$l" >/dev/null 2>"$out.lambda-$l.log" || { cat "$out.lambda-$l.log"; exit 1; }
done
node -e '
const fs = require("fs"), path = require("path");
const [out, lambdas, masks] = process.argv.slice(1);
const ls = lambdas.trim().split(/\s+/), ms = masks.split(",");
const f = (x, d = 2) => (x == null ? "–" : x.toFixed(d));
console.log(`| λ | ${ms.map((m) => `${m}: hole PSNR / SSIM / accuracy`).join(" | ")} |`);
console.log(`|---|${ms.map(() => "---").join("|")}|`);
for (const l of ls) {
  const r = JSON.parse(fs.readFileSync(path.join(out, `lambda-${l}`, "results.json"), "utf8"));
  const cells = ms.map((m) => { const c = r.results[m].wgan; return `${f(c.holePsnr.mean)} / ${f(c.ssim.mean, 3)} / ${c.accuracy == null ? "–" : f(100 * c.accuracy, 1) + " %"}`; });
  console.log(`| ${l} | ${cells.join(" | ")} |`);
}' "$out" "$lambdas" "$masks"
