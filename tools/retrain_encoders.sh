#!/bin/sh
# Retrain the shipped models' encoders and install them (models/NAME/encoder/), one after the other.
# Needed whenever a shipped generator changes (an encoder is refused for any other generator: the
# manifest names G by a digest of its weights). docs/ENCODER.md explains the recipe.
#
#   tools/retrain_encoders.sh [NAME ...]      # default: fashion-mnist emoji
#   ITERS=4000 tools/retrain_encoders.sh      # steps per encoder (default 4000)
set -e
cd "$(dirname "$0")/.."
ITERS=${ITERS:-4000}
STAMP=$(date +%Y%m%d-%H%M%S)   # a fresh run folder (an interrupted one continues with train-encoder --out DIR --resume --install)
[ $# -gt 0 ] || set -- fashion-mnist emoji
for name in "$@"; do
  node dist/src/cli/main.js train-encoder --model "$name" --iters "$ITERS" --sample-every 250 --checkpoint-every 250 --val-n 200 --out "runs/encoder-$name-$STAMP" --install
done
