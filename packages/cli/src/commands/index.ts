import type { Command } from '../command.js';
import { formatsCommand } from './formats.js';
import { presetsCommand } from './presets.js';

/** Every `lowbit` subcommand, in help order. */
export const COMMANDS: readonly Command[] = [formatsCommand, presetsCommand];
