/**
 * The main job (`pnpm demo`): `lowbit demo` run from the repository, with the same options
 * (`--out`, `--limit`, `--data`, `--table-only`, `--json`). See docs/demo.md.
 */
import { runCli } from '@lowbit/cli';

process.exitCode = await runCli(['demo', ...process.argv.slice(2)]);
