import type { CliEnvironment } from '../src/index.js';
import { runCli } from '../src/index.js';

/** Runs the CLI in-process and captures its output. */
export async function run(
  argv: string[],
  options: { isTTY?: boolean; cwd?: string } = {},
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const env: CliEnvironment = {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    isTTY: options.isTTY ?? false,
    columns: 100,
    cwd: options.cwd ?? process.cwd(),
  };
  const code = await runCli(argv, env);
  return { code, out, err };
}
