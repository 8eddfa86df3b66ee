/** The list of CLI commands, in the order `wgan-inpaint --help` shows them. Add new commands here. */
import type { Command } from './command.js';
import { trainCommand } from './train.js';
import { inpaintCommand } from './inpaint.js';
import { maskCommand } from './mask.js';
import { serveCommand } from './serve.js';

export const commands: Command[] = [
  trainCommand,
  inpaintCommand,
  maskCommand,
  serveCommand,
];
