import type { Command } from '../command.js';
import { compareCommand } from './compare.js';
import { decompressCommand } from './decompress.js';
import { demoCommand } from './demo.js';
import { evalCommand } from './eval.js';
import { formatsCommand } from './formats.js';
import { gptqCommand } from './gptq.js';
import { inspectCommand } from './inspect.js';
import { presetsCommand } from './presets.js';
import { quantizeCommand } from './quantize.js';

/** Every `lowbit` subcommand, in help order. */
export const COMMANDS: readonly Command[] = [
  inspectCommand,
  quantizeCommand,
  gptqCommand,
  decompressCommand,
  compareCommand,
  evalCommand,
  demoCommand,
  formatsCommand,
  presetsCommand,
];
