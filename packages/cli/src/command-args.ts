import { QuantError } from '@lowbit/dtypes';
import type { OpsetTarget } from '@lowbit/io-mlpackage';
import type { CommandArgs } from './command.js';

/** A string option's value, or undefined. */
export function stringOption(args: CommandArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A required string option. @throws QuantError `CLI_USAGE` */
export function requiredOption(args: CommandArgs, name: string, command: string): string {
  const v = stringOption(args, name);
  if (v === undefined)
    throw new QuantError('CLI_USAGE', `lowbit ${command}: --${name} is required (see lowbit ${command} --help)`);
  return v;
}

/** A boolean flag. */
export function flag(args: CommandArgs, name: string): boolean {
  return args.values[name] === true;
}

/** Exactly `count` positional arguments, named for the error message. @throws QuantError `CLI_USAGE` */
export function positionals(args: CommandArgs, names: readonly string[], command: string): string[] {
  if (args.positionals.length !== names.length) {
    throw new QuantError(
      'CLI_USAGE',
      `lowbit ${command}: expected ${names.map((n) => `<${n}>`).join(' ')}, got ${args.positionals.length} argument(s)` +
        (args.positionals.length > 0 ? ` (${args.positionals.join(' ')})` : '') +
        ` (see lowbit ${command} --help)`,
    );
  }
  return [...args.positionals];
}

/** A non-negative integer option, or undefined when absent. @throws QuantError `CLI_USAGE` */
export function optionalCount(args: CommandArgs, name: string, command: string): number | undefined {
  const raw = stringOption(args, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    throw new QuantError('CLI_USAGE', `lowbit ${command}: --${name} must be a non-negative integer, got "${raw}"`);
  }
  return n;
}

/** A positive integer option with a default. @throws QuantError `CLI_USAGE` */
export function integerOption(args: CommandArgs, name: string, fallback: number, command: string): number {
  const raw = stringOption(args, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) {
    throw new QuantError('CLI_USAGE', `lowbit ${command}: --${name} must be a positive integer, got "${raw}"`);
  }
  return n;
}

/** Deployment targets `--target` accepts: the opsets lowbit can raise a program to. */
export const UPGRADE_TARGETS: readonly OpsetTarget[] = ['iOS16', 'iOS17', 'iOS18'];

/** The `--target` option, validated. @throws QuantError `CLI_USAGE` */
export function targetOption(args: CommandArgs, command: string): OpsetTarget | undefined {
  const target = stringOption(args, 'target');
  if (target === undefined) return undefined;
  const known = UPGRADE_TARGETS.find((t) => t === target);
  if (known === undefined) {
    throw new QuantError(
      'CLI_USAGE',
      `lowbit ${command}: --target must be one of ${UPGRADE_TARGETS.join(', ')}, got "${target}"`,
    );
  }
  return known;
}
