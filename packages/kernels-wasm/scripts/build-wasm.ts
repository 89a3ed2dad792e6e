/** Assembles src/wasm/kernels.wat with wabt and writes src/_generated/kernels-wasm-bytes.ts. */
import { writeFileSync } from 'node:fs';
import { assembleKernels, GENERATED_FILE, renderGenerated } from './wasm-source.js';

const { plain, shared } = await assembleKernels();
writeFileSync(GENERATED_FILE, renderGenerated(plain, shared));
process.stdout.write(`build-wasm: wrote ${GENERATED_FILE} (${plain.length} + ${shared.length} bytes)\n`);
