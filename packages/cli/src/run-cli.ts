import { parseArgs } from 'node:util';
import { isQuantError } from '@lowbit/dtypes';
import type { CliEnvironment } from './cli-environment.js';
import { processEnvironment } from './cli-environment.js';
import type { Command } from './command.js';
import { EXIT } from './command.js';
import { COMMANDS } from './commands/index.js';
import { VERSION } from './version.js';

function globalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'lowbit: neural-network quantization without Python',
    '',
    'usage: lowbit <command> [options]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run `lowbit <command> --help` for a command's options.",
    'Exit codes: 0 success, 1 the work failed (bad input, refused spec), 2 bad command line, 70 internal error.',
    '',
  ].join('\n');
}

/**
 * Runs the `lowbit` command line in-process and returns its exit code (nothing calls `process.exit`).
 *
 * @example
 * ```ts
 * const code = await runCli(['inspect', 'model.mlpackage', '--json']);
 * ```
 */
export async function runCli(argv: readonly string[], env: CliEnvironment = processEnvironment()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? env.err : env.out)(globalHelp());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    env.out(`${VERSION}\n`);
    return EXIT.ok;
  }
  const command: Command | undefined = COMMANDS.find((c) => c.name === name);
  if (!command) {
    env.err(`lowbit: unknown command "${name}"; commands are ${COMMANDS.map((c) => c.name).join(', ')}\n`);
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    env.out(`${command.help.trimEnd()}\n`);
    return EXIT.ok;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...rest], options: command.options, allowPositionals: true, strict: true });
  } catch (error) {
    env.err(`lowbit ${name}: ${(error as Error).message} (see lowbit ${name} --help)\n`);
    return EXIT.usage;
  }
  try {
    return await command.run({ values: parsed.values, positionals: parsed.positionals }, env);
  } catch (error) {
    if (isQuantError(error)) {
      const prefix = error.message.startsWith('lowbit ') ? '' : `lowbit ${name}: `;
      env.err(`${prefix}${error.message}${error.message.includes(error.code) ? '' : ` [${error.code}]`}\n`);
      return error.code === 'CLI_USAGE' ? EXIT.usage : EXIT.failure;
    }
    env.err(`lowbit ${name}: internal error, please report it: ${(error as Error)?.stack ?? String(error)}\n`);
    return EXIT.internal;
  }
}
