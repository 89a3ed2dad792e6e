import type { CliEnvironment } from './cli-environment.js';

/** Reports progress of long work: a redrawn bar on a terminal, plain lines otherwise (CI logs, pipes). */
export interface Progress {
  /** Reports that `done` of `total` steps are finished, with a label for the current step. */
  update(done: number, total: number, label: string): void;
  /** Clears the bar (terminal) and prints a final line. */
  finish(message: string): void;
}

/** Creates a progress reporter writing to the environment's standard error. */
export function createProgress(env: CliEnvironment, title: string): Progress {
  let lastLine = -1;
  return {
    update(done, total, label) {
      if (env.isTTY) {
        const width = Math.max(10, Math.min(40, env.columns - 40));
        const filled = total > 0 ? Math.round((done / total) * width) : width;
        const text = `${title} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${label}`;
        env.err(`\r${text.slice(0, env.columns - 1).padEnd(Math.min(env.columns - 1, text.length + 10))}`);
      } else {
        // Plain lines, at most ~20 per run plus the first and last.
        const step = Math.max(1, Math.floor(total / 20));
        if (done === total || done === 0 || done - lastLine >= step) {
          lastLine = done;
          env.err(`${title}: ${done}/${total} ${label}\n`);
        }
      }
    },
    finish(message) {
      if (env.isTTY) env.err(`\r${' '.repeat(Math.max(0, env.columns - 1))}\r`);
      env.err(`${message}\n`);
    },
  };
}
