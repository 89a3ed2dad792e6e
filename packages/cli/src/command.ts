import type { ParseArgsConfig } from 'node:util';
import type { CliEnvironment } from './cli-environment.js';

/** Option definitions in the form `node:util` `parseArgs` takes. */
export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Parsed arguments handed to a command. */
export interface CommandArgs {
  readonly values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
  readonly positionals: readonly string[];
}

/** One `lowbit` subcommand. */
export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Full help text shown by `lowbit <name> --help`. */
  readonly help: string;
  readonly options: OptionSpec;
  /** Runs the command and returns the process exit code. */
  run(args: CommandArgs, env: CliEnvironment): Promise<number>;
}

/** Exit codes of the `lowbit` command. */
export const EXIT = {
  ok: 0,
  /** The input or the work failed (unreadable model, refused spec, accuracy check failed...). */
  failure: 1,
  /** The command line was wrong. */
  usage: 2,
  /** A bug in lowbit. */
  internal: 70,
} as const;
