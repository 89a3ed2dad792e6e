/**
 * A tiny ONNX model writer for the peer benchmarks: one node, weights as initializers, protobuf bytes written by
 * hand (only the fields used here: ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto).
 * Field numbers follow onnx.proto3.
 */

/** ONNX TensorProto data types used here. */
export const ONNX_FLOAT = 1;
export const ONNX_UINT8 = 2;
export const ONNX_INT8 = 3;
export const ONNX_INT32 = 6;

/** Protobuf output buffer (varints, length-delimited fields). */
class Writer {
  private readonly parts: number[] = [];
  private readonly chunks: Uint8Array[] = [];

  private flush(): void {
    if (this.parts.length > 0) {
      this.chunks.push(Uint8Array.from(this.parts));
      this.parts.length = 0;
    }
  }

  varint(value: number | bigint): this {
    let v = BigInt(value);
    if (v < 0n) v += 1n << 64n;
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) byte |= 0x80;
      this.parts.push(byte);
    } while (v > 0n);
    return this;
  }

  tag(field: number, wire: 0 | 2 | 5): this {
    return this.varint((field << 3) | wire);
  }

  int(field: number, value: number): this {
    return this.tag(field, 0).varint(value);
  }

  bytes(field: number, data: Uint8Array): this {
    this.tag(field, 2).varint(data.length);
    this.flush();
    this.chunks.push(data);
    return this;
  }

  string(field: number, text: string): this {
    return this.bytes(field, new TextEncoder().encode(text));
  }

  message(field: number, build: (w: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    this.flush();
    let n = 0;
    for (const c of this.chunks) n += c.length;
    const out = new Uint8Array(n);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

/** A weight tensor stored in the model. */
export interface Initializer {
  readonly name: string;
  readonly dataType: number;
  readonly dims: readonly number[];
  readonly data: ArrayBufferView;
}

/** A graph input or output with a fixed shape. */
export interface ValueInfo {
  readonly name: string;
  readonly dataType: number;
  readonly dims: readonly number[];
}

/** The single node of the model. */
export interface NodeSpec {
  readonly opType: string;
  readonly domain?: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly intAttributes?: Readonly<Record<string, number>>;
}

function valueInfo(w: Writer, field: number, v: ValueInfo): void {
  w.message(field, (vi) => {
    vi.string(1, v.name);
    vi.message(2, (type) =>
      type.message(1, (tensor) => {
        tensor.int(1, v.dataType);
        tensor.message(2, (shape) => {
          for (const d of v.dims) shape.message(1, (dim) => dim.int(1, d));
        });
      }),
    );
  });
}

/** Serializes a one-node model (opset 17 for the default domain, 1 for com.microsoft). */
export function onnxModel(
  node: NodeSpec,
  inputs: readonly ValueInfo[],
  outputs: readonly ValueInfo[],
  initializers: readonly Initializer[],
): Uint8Array {
  const w = new Writer();
  w.int(1, 8); // ir_version
  w.string(2, 'lowbit-bench');
  w.message(8, (op) => op.string(1, '').int(2, 17));
  w.message(8, (op) => op.string(1, 'com.microsoft').int(2, 1));
  w.message(7, (g) => {
    g.message(1, (n) => {
      for (const i of node.inputs) n.string(1, i);
      for (const o of node.outputs) n.string(2, o);
      n.string(3, node.opType.toLowerCase());
      n.string(4, node.opType);
      for (const [name, value] of Object.entries(node.intAttributes ?? {})) {
        n.message(5, (a) => a.string(1, name).int(3, value).int(20, 2)); // type INT
      }
      if (node.domain) n.string(7, node.domain);
    });
    g.string(2, 'g');
    for (const t of initializers) {
      g.message(5, (tp) => {
        for (const d of t.dims) tp.int(1, d);
        tp.int(2, t.dataType);
        tp.string(8, t.name);
        tp.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
      });
    }
    for (const v of inputs) valueInfo(g, 11, v);
    for (const v of outputs) valueInfo(g, 12, v);
  });
  return w.finish();
}
