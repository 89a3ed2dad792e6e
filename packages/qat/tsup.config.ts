import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'tfjs/index': 'src/tfjs/index.ts' },
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  external: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers'],
});
