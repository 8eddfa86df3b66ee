#!/usr/bin/env bash
# The benchmark figures quoted in docs/BENCHMARKS.md, on a quiet machine. Writes docs/bench/*.json.
set -euo pipefail
mkdir -p docs/bench
npm run -s bench -- native_gemm | tee docs/bench/native_gemm.txt
npm run -s bench -- train --backends native,wasm --iters 3 --json docs/bench/train-32x32x3-w64-b64.json
npm run -s bench -- inpaint --backends native --no-shipped --json docs/bench/inpaint-native-32x32x3-w64.json
npm run -s bench -- inpaint --backends wasm --no-single --no-torch --no-shipped --json docs/bench/inpaint-wasm-32x32x3-w64.json
npm run -s bench -- inpaint --backends native --size 64 --images 64 --no-torch --no-shipped --json docs/bench/inpaint-native-64x64x3-w64.json
npm run -s bench -- inpaint --backends native --images 1 --iters 50 --no-single --no-torch --no-shipped --json docs/bench/inpaint-native-batch1.json
# A shipped model, one real image, its defaults: native, and the page in Chromium (wasm, WebGL, WebGPU)
npm run -s bench -- inpaint --shipped-only --backends native --json docs/bench/inpaint-shipped-fashion-mnist.json
npm run -s bench -- train --backends native --size 64 --iters 2 --no-torch --json docs/bench/train-64x64x3-w64-b64.json
npm run -s bench -- queue --only sweep --json docs/bench/queue-sweep.json | tee docs/bench/queue-sweep.txt
npm run -s bench -- queue --only throughput,overhead,kill --images 128 --iters 50 --json docs/bench/queue.json | tee docs/bench/queue.txt
