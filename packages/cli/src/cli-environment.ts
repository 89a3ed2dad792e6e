/** Where the CLI writes and what it knows about its terminal; injectable so tests run it in-process. */
export interface CliEnvironment {
  /** Writes to standard output. */
  readonly out: (text: string) => void;
  /** Writes to standard error. */
  readonly err: (text: string) => void;
  /** True when standard error is an interactive terminal (progress bars are drawn only then). */
  readonly isTTY: boolean;
  /** Terminal width in columns. */
  readonly columns: number;
  /** Working directory for relative paths. */
  readonly cwd: string;
}

/** The environment of the running Node process. */
export function processEnvironment(): CliEnvironment {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    isTTY: process.stderr.isTTY === true,
    columns: process.stderr.columns ?? 80,
    cwd: process.cwd(),
  };
}
