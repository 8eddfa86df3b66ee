/** The list of CLI commands, in the order `wgan-inpaint --help` shows them. Add new commands here. */
import type { Command } from './command.js';

export const commands: Command[] = [];
