/**
 * Preloaded by `npm test` (node --import) in every test process: the same TF.js settings the library's
 * Node entry makes, so test files that only import the platform-neutral core stay quiet too (PROD
 * silences the cpu backend's "install tfjs-node" banner).
 */
import * as tf from '@tensorflow/tfjs';

tf.env().set('PROD', true);
