import { QuantError } from '@lowbit/dtypes';

const PAGE = 65536;
const ALIGN = 16;
/** Largest wasm32 memory in pages (4 GiB). */
const MAX_PAGES = 65536;

/**
 * First-fit allocator over a WebAssembly memory: blocks are 16-byte aligned; freed blocks are coalesced and
 * reused; the memory grows (never shrinks) when no free block is large enough. Address 0 is never handed out.
 */
export class Arena {
  /** Free blocks sorted by address. */
  private readonly freeList: { ptr: number; size: number }[] = [];
  private readonly sizes = new Map<number, number>();
  private top = ALIGN;

  constructor(readonly memory: WebAssembly.Memory) {}

  /** Allocates `bytes` (rounded up to 16); returns the block's address. */
  alloc(bytes: number): number {
    if (!Number.isInteger(bytes) || bytes < 0) {
      throw new QuantError(
        'KERNELS_INVALID_ARGUMENT',
        `WasmKernels.alloc: size ${bytes} must be a non-negative integer`,
      );
    }
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    for (let i = 0; i < this.freeList.length; i++) {
      const block = this.freeList[i]!;
      if (block.size >= size) {
        const ptr = block.ptr;
        if (block.size === size) this.freeList.splice(i, 1);
        else {
          block.ptr += size;
          block.size -= size;
        }
        this.sizes.set(ptr, size);
        return ptr;
      }
    }
    const ptr = this.top;
    this.ensure(ptr + size);
    this.top = ptr + size;
    this.sizes.set(ptr, size);
    return ptr;
  }

  /** Returns a block to the allocator. Freeing an unknown address throws. */
  free(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) {
      throw new QuantError('KERNELS_INVALID_ARGUMENT', `WasmKernels.free: ${ptr} is not an allocated block`);
    }
    this.sizes.delete(ptr);
    let i = 0;
    while (i < this.freeList.length && this.freeList[i]!.ptr < ptr) i++;
    this.freeList.splice(i, 0, { ptr, size });
    // Coalesce with the next and the previous block.
    const next = this.freeList[i + 1];
    const cur = this.freeList[i]!;
    if (next && cur.ptr + cur.size === next.ptr) {
      cur.size += next.size;
      this.freeList.splice(i + 1, 1);
    }
    const prev = this.freeList[i - 1];
    if (prev && prev.ptr + prev.size === cur.ptr) {
      prev.size += cur.size;
      this.freeList.splice(i, 1);
    }
    const last = this.freeList[this.freeList.length - 1];
    if (last && last.ptr + last.size === this.top) {
      this.top = last.ptr;
      this.freeList.pop();
    }
  }

  /** Bytes currently handed out. */
  get allocatedBytes(): number {
    let total = 0;
    for (const size of this.sizes.values()) total += size;
    return total;
  }

  /** Grows the memory so that addresses below `end` are valid. */
  private ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil((end - have) / PAGE);
    if (have / PAGE + pages > MAX_PAGES) {
      throw new QuantError(
        'KERNELS_INVALID_ARGUMENT',
        `WasmKernels.alloc: ${end} bytes exceed the 4 GiB limit of a wasm32 memory; split the work`,
      );
    }
    // Grow with some headroom so that a sequence of growing calls does not grow page by page.
    const headroom = Math.min(MAX_PAGES - have / PAGE - pages, Math.ceil(pages / 4));
    this.memory.grow(pages + headroom);
  }
}
