import type { Command } from '../command.js';
import { compareCommand } from './compare.js';
import { decompressCommand } from './decompress.js';
import { formatsCommand } from './formats.js';
import { inspectCommand } from './inspect.js';
import { presetsCommand } from './presets.js';
import { quantizeCommand } from './quantize.js';

/** Every `lowbit` subcommand, in help order. */
export const COMMANDS: readonly Command[] = [
  inspectCommand,
  quantizeCommand,
  decompressCommand,
  compareCommand,
  formatsCommand,
  presetsCommand,
];
