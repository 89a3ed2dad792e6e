import { KERNELS_WASM_BASE64, KERNELS_WASM_SHARED_BASE64 } from '../_generated/kernels-wasm-bytes.js';

/**
 * Arguments of `quant_int` and of its unchecked twin `quant_int_fx`: `nchunks` chunks of `chunk` float32 inputs at
 * `x`, one scale and zero point per chunk, codes clamped to `[qmin, qmax]` written to `out`.
 */
export type QuantIntArgs = [
  x: number,
  nchunks: number,
  chunk: number,
  scales: number,
  zps: number,
  qmin: number,
  qmax: number,
  unsigned: number,
  out: number,
];

/**
 * The arguments the float-activation products `gemm_w4` and `gemm_f8` take after their weight pointers:
 * activations `[m, kp]` at `x`, output `[m, n]` at `y`, one scale per block of `block` inputs, output rows `[n0, n1)`.
 */
export type FloatGemmArgs = [
  x: number,
  y: number,
  m: number,
  n: number,
  kp: number,
  block: number,
  n0: number,
  n1: number,
];

/**
 * The arguments `quant_rows` and `quant_rows_part` share after their input pointers: code range, zero point of the
 * symmetric schemes, asymmetric flag, and where codes, scales, zero points and block ranges go.
 */
export type QuantRowsArgs = [
  qmin: number,
  qmax: number,
  zsym: number,
  asym: number,
  out: number,
  oscales: number,
  ozps: number,
  omin: number,
  omax: number,
];

/** Signatures of the module's exports (all pointers are byte offsets into its memory). */
export interface KernelExports {
  range(x: number, nchunks: number, chunk: number, omin: number, omax: number): number;
  quant_int(...args: QuantIntArgs): number;
  quant_int_fx(...args: QuantIntArgs): void;
  quant_rows(x: number, nchunks: number, chunk: number, ...rest: QuantRowsArgs): number;
  quant_rows_part(
    x: number,
    chunk: number,
    ...rest: [...QuantRowsArgs, obad: number, packed: number, n0: number, n1: number]
  ): void;
  dequant_int(
    q: number,
    nchunks: number,
    chunk: number,
    scales: number,
    zps: number,
    unsigned: number,
    out: number,
    qmin: number,
    qmax: number,
  ): number;
  pack4(src: number, n: number, dst: number): void;
  unpack4(src: number, n: number, signed: number, dst: number): void;
  quant_e4m3(x: number, nchunks: number, chunk: number, scales: number, out: number): number;
  dequant_e4m3(q: number, nchunks: number, chunk: number, scales: number, out: number): void;
  gemm_w4(w: number, scales: number, zpe: number, ...rest: FloatGemmArgs): void;
  gemm_w4a16(
    w: number,
    scales: number,
    zpe: number,
    a: number,
    as: number,
    y: number,
    m: number,
    n: number,
    kp: number,
    block: number,
    sym: number,
    n0: number,
    n1: number,
  ): void;
  gemm_f8(w: number, scales: number, ...rest: FloatGemmArgs): void;
  gemm_i8(a16: number, w: number, y: number, m: number, n: number, kp: number, n0: number, n1: number): void;
}

/** Bytes of a base64 string, without Node's Buffer (runs in browsers too). */
function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** The assembled kernels, private-memory or shared-memory variant. */
export function kernelsBinary(shared: boolean): Uint8Array {
  return decodeBase64(shared ? KERNELS_WASM_SHARED_BASE64 : KERNELS_WASM_BASE64);
}

/** Compiles the kernels module (the caller caches the result). */
export function compileKernels(shared: boolean): Promise<WebAssembly.Module> {
  return WebAssembly.compile(kernelsBinary(shared) as Uint8Array<ArrayBuffer>);
}

/** Instantiates a compiled kernels module over `memory`. */
export async function instantiateKernels(
  module: WebAssembly.Module,
  memory: WebAssembly.Memory,
): Promise<KernelExports> {
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  return instance.exports as unknown as KernelExports;
}

/**
 * A minimal module using two SIMD instructions, used to detect SIMD support:
 * `(module (func (result v128) (i8x16.popcnt (i8x16.splat (i32.const 0)))))`.
 */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

/** True when this engine compiles WebAssembly 128-bit SIMD. */
export function wasmSimdSupported(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE as Uint8Array<ArrayBuffer>);
  } catch {
    return false;
  }
}

/** True when shared WebAssembly memories (and so worker threads over one memory) are available. */
export function sharedMemorySupported(): boolean {
  try {
    if (typeof SharedArrayBuffer !== 'function') return false;
    const m = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return m.buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}
