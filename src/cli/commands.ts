/** The list of CLI commands, in the order `wgan-inpaint --help` shows them. Add new commands here. */
import type { Command } from './command.js';
import { demoCommand } from './demo.js';
import { trainCommand } from './train.js';
import { trainEncoderCommand } from './train_encoder.js';
import { inpaintCommand } from './inpaint.js';
import { maskCommand } from './mask.js';
import { evalCommand } from './eval.js';
import { classifierCommand } from './classifier.js';
import { serveCommand } from './serve.js';
import { batchCommand } from './batch.js';
import { workerCommand } from './worker.js';
import { experimentCommand } from './experiment.js';
import { calibrateCommand } from './calibrate.js';

export const commands: Command[] = [
  demoCommand,
  trainCommand,
  trainEncoderCommand,
  inpaintCommand,
  batchCommand,
  maskCommand,
  evalCommand,
  calibrateCommand,
  classifierCommand,
  experimentCommand,
  serveCommand,
  workerCommand,
];
