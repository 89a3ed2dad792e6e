import { describe, expect, test } from 'vitest';
import type { CliEnvironment } from '../src/index.js';
import { createProgress } from '../src/progress.js';

function env(isTTY: boolean): { env: CliEnvironment; err: () => string } {
  let err = '';
  return {
    env: { out: () => {}, err: (t) => (err += t), isTTY, columns: 80, cwd: '/' },
    err: () => err,
  };
}

describe('progress', () => {
  test('on a terminal: one bar redrawn in place, cleared at the end', () => {
    const e = env(true);
    const p = createProgress(e.env, 'quantize');
    for (let i = 0; i <= 10; i++) p.update(i, 10, `w${i}`);
    p.finish('done');
    const text = e.err();
    expect(text.split('\n')).toHaveLength(2); // the bar never adds lines; finish prints one
    expect(text).toMatch(/\rquantize \[#+\] 10\/10 w10/);
    expect(text.endsWith('done\n')).toBe(true);
  });

  test('not a terminal: plain lines, at most about 20 per run plus first and last', () => {
    const e = env(false);
    const p = createProgress(e.env, 'quantize');
    for (let i = 0; i <= 1000; i++) p.update(i, 1000, `w${i}`);
    p.finish('done');
    const lines = e.err().trimEnd().split('\n');
    expect(lines[0]).toBe('quantize: 0/1000 w0');
    expect(lines).toContain('quantize: 1000/1000 w1000');
    expect(lines.length).toBeLessThanOrEqual(23);
    expect(e.err()).not.toMatch(/\r/);
  });
});
