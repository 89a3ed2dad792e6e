import type { IdxImages, MilInput } from '@lowbit/mil-eval';

/**
 * Splits IDX images into evaluator inputs of at most `size` images each, pixels 0..255 as float32, each batch
 * shaped `[batch, ...sampleShape]` (e.g. `[1, 28, 28]` for an NCHW image input).
 */
export function imageBatches(images: IdxImages, size: number, sampleShape: readonly number[]): MilInput[] {
  const pixels = images.rows * images.cols;
  const out: MilInput[] = [];
  for (let s = 0; s < images.count; s += size) {
    const b = Math.min(size, images.count - s);
    out.push({
      data: Float32Array.from(images.data.subarray(s * pixels, (s + b) * pixels)),
      shape: [b, ...sampleShape],
    });
  }
  return out;
}
