#!/usr/bin/env bash
# The full-size evaluations of docs/RESULTS.md (issue #12: 1,000 held-out images per mask kind, every
# method) still to run, one report per (model, mask kind, method group), so that a session that is
# stopped loses at most the reports still running. A finished report is copied into
# docs/results/full/NAME/ (results.json, index.md, grid) to be committed; one found there is skipped,
# so the script run again, on any machine with this checkout, goes on where the last one stopped.
# (The random-start fashion-mnist reports are in docs/results/eval-fashion-mnist-random/.)
#
#   bash tools/eval_full.sh [--jobs N] [--list] [NAME_FILTER]
#
# --jobs N      reports at once (default 2: one per core on the 2-core machines, each on one thread)
# --list        print what is done and what is left, run nothing
# NAME_FILTER   run only the reports whose name contains it (e.g. emoji, lambda0)
#
# Every report pairs its methods with its first one, image by image (`eval` does it); the random-start
# reports start with `wgan-encoder` (100 × 1 from the encoder's z, the default) so the paired column
# is the encoder-against-random-start comparison of issue #11. Times: on a free core, fashion-mnist's
# 1000 × 4 random-start search takes ≈ 40 min per 1,000 images; emoji's ≈ 55 min per 726.
# Merge tables with tools/results_table.ts (e.g. over docs/results/full/emoji-all-*-center).
# The ablations planned first run every search with --context-floor 0 (Yeh et al.'s weights), the
# search the committed fashion-mnist random-start reports used, whatever the default now is. The
# `*-floor-random-*` reports then run the random start against the encoder's start again at the
# default floor (0.05, docs/FLOOR.md), half masks first (where the floor matters most).
# A report being run by another copy of this script (runs/eval-NAME.lock holds its pid) is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=2 LIST=0 FILTER=
while [ $# -gt 0 ]; do
  case "$1" in
    --jobs) JOBS="$2"; shift 2 ;;
    --list) LIST=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "eval_full: unknown option $1" >&2; exit 2 ;;
    *) FILTER="$1"; shift ;;
  esac
done
[ -f dist/src/cli/main.js ] || { echo "eval_full: dist/ is missing: run npm ci (or npm run build) first" >&2; exit 2; }

BASELINES=telea,nearest,mean,zero
# name | model | masks | methods | FD samples | context floor ('' = the default) | images (default 1000)
PLAN=()
for m in center random half pattern strokes; do
  PLAN+=("fm-n1000-lambda0-$m|fashion-mnist|$m|wgan-encoder,wgan-lambda0|200|0")
done
for m in center random half pattern strokes; do
  PLAN+=("emoji-all-random-$m|emoji|$m|wgan-encoder,wgan,wgan-noblend,wgan-1restart,$BASELINES|700|0")
done
for m in center random half pattern strokes; do
  PLAN+=("emoji-all-lambda0-$m|emoji|$m|wgan-encoder,wgan-lambda0|700|0")
done
for m in half center random pattern strokes; do
  PLAN+=("fm-n1000-floor-random-$m|fashion-mnist|$m|wgan-encoder,wgan|200|")
  PLAN+=("emoji-all-floor-random-$m|emoji|$m|wgan-encoder,wgan|700|")
done
# faces (64 px, issue #29), once models/faces is shipped (tools/ship_faces.sh): the default, the
# encoder-only fill, the prior's ablation on the default path (λ = 0 from the encoder's z) and the
# generator refinement against every baseline, on 1,000 test faces per mask kind; the random start
# (1000 × 4) on the first 200 only. Measured at 64 px on an interim checkpoint (16 faces, batch 16,
# both cores shared with a training run): wgan-encoder 0.48 s per image, wgan-encoder-generator 0.94 s,
# the random start 8.2 s, so a faces-all report takes ≈ 10–25 min and a random-start one ≈ 15–30 min.
for m in center random half pattern strokes; do
  PLAN+=("faces-all-$m|faces|$m|wgan-encoder,wgan-encoder-only,wgan-encoder-lambda0,wgan-encoder-generator,$BASELINES|1000|")
done
# The random start (≈ 8 s per face) on the first 200 faces of center, random and half, the first 100 of
# pattern and strokes (what one session's wall-clock allowed).
for m in center random half; do
  PLAN+=("faces-random-n200-$m|faces|$m|wgan-encoder,wgan,wgan-noblend|1000||200")
done
for m in pattern strokes; do
  PLAN+=("faces-random-n100-$m|faces|$m|wgan-encoder,wgan,wgan-noblend|1000||100")
done
# Issue #28: the best refinement setting of docs/SEARCH.md (the encoder's z, no search, the generator's
# last three layers adapted per image) against the default, on every mask kind (emoji's center and half
# are in emoji-refine-center-half/).
for m in center half random pattern strokes; do
  PLAN+=("fm-refine-$m|fashion-mnist|$m|wgan-encoder,wgan-encoder-only-generator,telea|200|")
  [[ $m == center || $m == half ]] || PLAN+=("emoji-refine-$m|emoji|$m|wgan-encoder,wgan-encoder-only-generator,telea|700|")
done

todo=()
for p in "${PLAN[@]}"; do
  IFS='|' read -r name model masks methods fdn floor n <<<"$p"
  [[ -n "$FILTER" && "$name" != *"$FILTER"* ]] && continue
  if [ -f "docs/results/full/$name/results.json" ]; then echo "done  $name"; else echo "todo  $name"; todo+=("$p"); fi
done
[ "$LIST" = 1 ] && exit 0
mkdir -p runs logs

run_one() {
  IFS='|' read -r name model masks methods fdn floor n <<<"$1"
  local lock="runs/eval-$name.lock"
  if ! mkdir "$lock" 2>/dev/null; then
    if kill -0 "$(cat "$lock/pid" 2>/dev/null)" 2>/dev/null; then echo "running elsewhere: $name"; return; fi
    rm -rf "$lock" && mkdir "$lock"   # left by a stopped run
  fi
  echo $BASHPID > "$lock/pid"
  rm -rf "runs/eval-$name"
  # --n 1000 unless the plan says: all 726 emoji test images; 1,000 of fashion-mnist's 10,000 and of faces' 4,000.
  WGAN_NATIVE_THREADS=1 node dist/src/cli/main.js eval --model "$model" --methods "$methods" --n "${n:-1000}" \
    --masks "$masks" --fd-n "$fdn" ${floor:+--context-floor "$floor"} --out "runs/eval-$name" --backend native > "logs/eval-$name.log" 2>&1 \
    || { echo "FAILED $name (logs/eval-$name.log)"; rm -rf "$lock"; return; }
  # Into docs/results/full/ through a temporary name, so a stop half-way leaves no half-copied report.
  local dst="docs/results/full/$name" tmp="docs/results/full/.$name.tmp"
  rm -rf "$tmp" && mkdir -p "$tmp"
  cp "runs/eval-$name/results.json" "runs/eval-$name/index.md" "runs/eval-$name"/grid-*.png "$tmp/"
  sed -i "s#$(pwd)/##g" "$tmp/results.json" "$tmp/index.md"
  rm -rf "$dst" && mv "$tmp" "$dst" && echo "finished $name → $dst"
  rm -rf "$lock"
}
for p in "${todo[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
  run_one "$p" &
done
wait
