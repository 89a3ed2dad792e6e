/** FNV-1a hash of the float bits, plus the shape: identifies tensor contents without keeping them. */
export function fingerprint(data: Float32Array, shape: readonly number[]): string {
  const words = new Uint32Array(data.buffer, data.byteOffset, data.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) {
    h ^= words[i] as number;
    h = Math.imul(h, 0x01000193);
  }
  return `${shape.join('x')}:${data.length}:${(h >>> 0).toString(16)}`;
}
