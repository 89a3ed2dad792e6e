export type { CliEnvironment } from './cli-environment.js';

export { runCli } from './run-cli.js';
