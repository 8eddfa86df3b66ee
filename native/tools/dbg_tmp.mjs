import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../dist/src/backends/index.js';
import { loadNativeAddon } from '../../dist/src/backends/native.js';
await initBackend('native');
const x = tf.randomNormal([64, 16, 16, 64]);
const y = tf.randomNormal([64, 16, 16, 64]);
function t(label, f, reps = 100) { for (let i = 0; i < 5; i++) tf.dispose(f()); const t0 = performance.now(); for (let i = 0; i < reps; i++) tf.dispose(f()); console.log(label.padEnd(28), ((performance.now() - t0) / reps).toFixed(3), 'ms'); }
t('tf.step', () => tf.step(x, -1));
t('tf.abs', () => tf.abs(x));
t('tf.mul same', () => tf.mul(x, y));
t('tf.mul scalar', () => tf.mul(x, 0.6));
t('tf.add same', () => tf.add(x, y));
const A = loadNativeAddon();
const xv = x.dataSync(), o = new Float32Array(xv.length);
t('raw unary step', () => A.unary(14, xv, o, -1));
t('raw unary abs', () => A.unary(6, xv, o, 0));
A.setThreads(1);
t('1T raw unary abs', () => A.unary(6, xv, o, 0));
t('1T tf.mul same', () => tf.mul(x, y));
