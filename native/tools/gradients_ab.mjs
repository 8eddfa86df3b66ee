// A/B: one WGAN-GP iteration (32×32×3, widths 64) with TF.js's stock Mean/Sum gradients vs src/backends/tfjs_patches.ts.
//   npm run build && node native/tools/gradients_ab.mjs [wasm|native|cpu]
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../dist/src/backends/index.js';
import { defaultConfig } from '../../dist/src/config/config.js';
import { buildModels } from '../../dist/src/models/index.js';
import { useStockGradients } from '../../dist/src/backends/tfjs_patches.js';
import { makeTrainer, criticStep, generatorStep } from '../../dist/src/train/steps.js';
await initBackend(process.argv[2] ?? 'wasm', () => {});
const config = { ...defaultConfig('wgan-gp'), channels: 3 };
const t = makeTrainer(buildModels('dcgan', { size: 32, channels: 3, nz: config.nz, gWidth: config.gWidth, dWidth: config.dWidth, criticNorm: config.criticNorm, seed: 1 }), config);
const real = tf.randomUniform([64, 32, 32, 3], -1, 1);
const it = () => { for (let i = 0; i < 5; i++) criticStep(t, real); generatorStep(t, 64); };
it();
for (const stock of [true, false, true, false]) {
  useStockGradients(stock);
  const t0 = performance.now(); it(); console.log(stock ? 'stock' : 'ours ', (performance.now() - t0).toFixed(0), 'ms');
}
