/**
 * The worker pool's browser path (Web Workers from a Blob URL over a shared WebAssembly memory), run in a real
 * headless Chromium: the page is served with the COOP / COEP headers that make it cross-origin isolated, bundled
 * from the sources with esbuild, and reports back over HTTP. Skipped when no Chromium is installed (set
 * CHROMIUM_PATH, or install Debian's `chromium`); docs/performance.md says when it last ran.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { expect, test } from 'vitest';
import type { Report } from './browser/page.js';

function findChromium(): string | undefined {
  const candidates = [
    process.env['CHROMIUM_PATH'],
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
  ];
  return candidates.find((p): p is string => typeof p === 'string' && p !== '' && existsSync(p));
}

const chromium = findChromium();

async function runPage(browser: string): Promise<Report> {
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('./browser/page.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@lowbit/source'],
    write: false,
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0]!.text;
  let deliver: (r: Report) => void = () => undefined;
  const result = new Promise<Report>((resolve) => {
    deliver = resolve;
  });
  const isolation = {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
  };
  const server = createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/result') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        res.writeHead(204, isolation).end();
        deliver(JSON.parse(body) as Report);
      });
    } else if (req.url === '/page.js') {
      res.writeHead(200, { ...isolation, 'Content-Type': 'text/javascript' }).end(script);
    } else if (req.url === '/') {
      const html = '<!doctype html><title>lowbit workers</title><script type="module" src="/page.js"></script>';
      res.writeHead(200, { ...isolation, 'Content-Type': 'text/html' }).end(html);
    } else {
      res.writeHead(404, isolation).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const profile = mkdtempSync(join(tmpdir(), 'lowbit-chromium-'));
  const child = spawn(
    browser,
    [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--no-default-browser-check',
      `--user-data-dir=${profile}`,
      `http://127.0.0.1:${port}/`,
    ],
    { stdio: 'ignore' },
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      result,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('no report from the page within 60 s')), 60_000);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    child.kill('SIGKILL');
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(profile, { recursive: true, force: true });
  }
}

test.skipIf(chromium === undefined)(
  'a Web Worker pool in Chromium gives every product bit for bit as one thread does',
  async () => {
    const report = await runPage(chromium!);
    expect(report.error).toBeNull();
    expect(report.crossOriginIsolated).toBe(true);
    expect(report.threads).toBe(2);
    expect(report.canBlock).toBe(false);
    expect(report.checked).toEqual(['matmulW4', 'matmulW4 int16', 'matmulW8A8', 'matmulInt8', 'matmulF8', 'quantize']);
    expect(report.mismatches).toEqual([]);
  },
  120_000,
);
