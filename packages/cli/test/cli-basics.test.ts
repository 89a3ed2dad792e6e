import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { VERSION } from '../src/version.js';
import { run } from './run.js';

describe('lowbit command line', () => {
  test('no arguments prints the command list to stderr and exits 2', async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/usage: lowbit <command>/);
    expect(r.err).toMatch(/formats/);
  });

  test('--help lists commands on stdout and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Exit codes: 0 success/);
  });

  test('every command has --help', async () => {
    const list = (await run(['--help'])).out;
    const names = [...list.matchAll(/^ {2}(\S+) {2,}/gm)].map((m) => m[1] as string);
    expect(names.length).toBeGreaterThan(1);
    for (const name of names) {
      const r = await run([name, '--help']);
      expect(r.code, name).toBe(0);
      expect(r.out, name).toMatch(new RegExp(`usage: lowbit ${name}`));
    }
  });

  test('an unknown command or option is a usage error (exit 2) that says what is valid', async () => {
    const unknown = await run(['quantise']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown command "quantise"; commands are/);
    const badOption = await run(['formats', '--colour']);
    expect(badOption.code).toBe(2);
    expect(badOption.err).toMatch(/--colour/);
  });

  test('errors are prefixed once with the command name', async () => {
    const r = await run(['eval', 'model.mlpackage', '--limit', 'lots', '--data', '.']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^lowbit eval: --limit must be a positive integer, got "lots"/);
    expect(r.err).not.toMatch(/lowbit eval: lowbit eval/);
  });

  test('--version matches package.json', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
    expect((await run(['--version'])).out.trim()).toBe(pkg.version);
  });
});

describe('lowbit formats / presets', () => {
  test('formats lists every dtype with its round-trip SQNR', async () => {
    const r = await run(['formats', '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.out) as Record<string, string | number>[];
    const byName = Object.fromEntries(rows.map((row) => [row['dtype'], row]));
    expect(byName['float8_e4m3fn']?.['max']).toBe('448');
    expect(byName['float8_e8m0fnu']?.['SQNR dB']).toBe('-');
    // int8 with one per-tensor scale on N(0,1): about 38.6 dB (amax ~ 5 sigma for 1M samples)
    expect(Number(byName['int8']?.['SQNR dB'])).toBeGreaterThan(37);
    expect(Number(byName['int8']?.['SQNR dB'])).toBeLessThan(40);
  });

  test('presets table: int8 per-channel about 41.3 dB on N(0,1), fp8 robust to heavy tails', async () => {
    const r = await run(['presets', '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.out) as Record<string, string>[];
    const w8 = rows.find((row) => row['preset'] === 'w8');
    const fp8 = rows.find((row) => row['preset'] === 'fp8');
    expect(Math.abs(Number(w8?.['SQNR N(0,1)']) - 41.3)).toBeLessThan(0.2);
    expect(Number(fp8?.['SQNR t(3)'])).toBeGreaterThan(Number(w8?.['SQNR t(3)']));
    expect(Number(w8?.['bits/weight'])).toBeCloseTo(8 + 32 / 4096, 3);
  });
});
