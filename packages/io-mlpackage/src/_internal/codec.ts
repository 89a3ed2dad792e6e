/**
 * Schema-driven protobuf codec. Decoded messages are plain objects keyed by field name; repeated fields are
 * arrays (typed arrays for packed floats, doubles and int32), maps are `Map`s in wire order. Fields the schema
 * does not model are kept, in order, as raw records under `unknownFields` and re-emitted at their field-number
 * position, so a decode-encode round trip of a canonically serialized message reproduces its bytes.
 */
import type { FieldDef, MessageDef, ScalarKind } from './schema.js';
import { messageDef } from './schema.js';
import {
  WIRE_FIXED32,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_VARINT,
  WireError,
  WireReader,
  WireWriter,
  int64ToNumber,
  uint64ToNumber,
} from './wire.js';

/** One field the schema does not model: its number, wire type and the raw record (tag included). */
export interface RawField {
  readonly field: number;
  readonly wireType: number;
  readonly raw: Uint8Array;
}

/** Maximum message nesting accepted by the decoder (protobuf's own default is 100). */
export const MAX_DEPTH = 100;

type Obj = Record<string, unknown>;

function wireTypeOf(kind: ScalarKind): number {
  switch (kind) {
    case 'float':
      return WIRE_FIXED32;
    case 'double':
      return WIRE_FIXED64;
    case 'string':
    case 'bytes':
      return WIRE_LEN;
    default:
      return WIRE_VARINT;
  }
}

function isPackable(kind: ScalarKind): boolean {
  return kind !== 'string' && kind !== 'bytes';
}

function readScalar(r: WireReader, kind: ScalarKind, start: number): unknown {
  switch (kind) {
    case 'float':
      return r.readFloat();
    case 'double':
      return r.readDouble();
    case 'string':
      return r.readString(r.readLengthEnd());
    case 'bytes':
      return r.readBytes(r.readLengthEnd());
    default:
      break;
  }
  r.readVarint64();
  switch (kind) {
    case 'int32':
    case 'enum':
      return r.lo | 0;
    case 'uint32':
      return r.lo;
    case 'bool':
      return (r.lo | r.hi) !== 0;
    case 'int64':
      return int64ToNumber(r.lo, r.hi, start);
    case 'uint64':
      return uint64ToNumber(r.lo, r.hi, start);
    case 'int64big':
      return BigInt.asIntN(64, (BigInt(r.hi) << 32n) | BigInt(r.lo));
    default:
      throw new WireError(`internal: unexpected kind ${kind}`, start);
  }
}

function finishRepeated(kind: ScalarKind | 'message', values: unknown[]): unknown {
  switch (kind) {
    case 'float':
      return Float32Array.from(values as number[]);
    case 'double':
      return Float64Array.from(values as number[]);
    case 'int32':
      return Int32Array.from(values as number[]);
    default:
      return values;
  }
}

function defaultScalar(kind: ScalarKind): unknown {
  switch (kind) {
    case 'string':
      return '';
    case 'bytes':
      return new Uint8Array(0);
    case 'bool':
      return false;
    case 'int64big':
      return 0n;
    default:
      return 0;
  }
}

function decodeInto(r: WireReader, end: number, def: MessageDef, depth: number): Obj {
  if (depth > MAX_DEPTH) throw new WireError(`messages nested deeper than ${MAX_DEPTH} levels`, r.pos);
  const obj: Obj = {};
  const lists = new Map<FieldDef, unknown[]>();
  for (const f of def.fields) {
    if (f.kind === 'map') obj[f.name] = new Map();
    else if (f.repeated === true) lists.set(f, []);
  }
  let unknown: RawField[] | undefined;
  const savedEnd = r.end;
  r.end = end;
  while (r.pos < end) {
    const tagStart = r.pos;
    const tag = r.readUint32();
    const no = tag >>> 3;
    const wt = tag & 7;
    if (no === 0) throw new WireError('field number 0 is not valid', tagStart);
    const f = def.byNumber.get(no);
    if (f === undefined) {
      r.skip(wt, tagStart);
      (unknown ??= []).push({ field: no, wireType: wt, raw: r.buf.slice(tagStart, r.pos) });
      continue;
    }
    const where = `${def.name}.${f.name} (field ${no})`;
    if (f.kind === 'message') {
      if (wt !== WIRE_LEN) throw new WireError(`${where}: wire type ${wt}, expected 2 (length-delimited)`, tagStart);
      const subEnd = r.readLengthEnd();
      const sub = decodeInto(r, subEnd, messageDef(f.msg as string), depth + 1);
      if (f.repeated === true) (lists.get(f) as unknown[]).push(sub);
      else obj[f.name] = sub;
      continue;
    }
    if (f.kind === 'map') {
      if (wt !== WIRE_LEN) throw new WireError(`${where}: wire type ${wt}, expected 2 (map entry)`, tagStart);
      const entryEnd = r.readLengthEnd();
      const [k, v] = decodeMapEntry(r, entryEnd, f, depth + 1);
      (obj[f.name] as Map<unknown, unknown>).set(k, v);
      continue;
    }
    const kind = f.kind;
    const expected = wireTypeOf(kind);
    if (f.repeated === true && isPackable(kind) && wt === WIRE_LEN) {
      const packedEnd = r.readLengthEnd();
      const list = lists.get(f) as unknown[];
      while (r.pos < packedEnd) {
        const at = r.pos;
        const savedInner = r.end;
        r.end = packedEnd;
        list.push(readScalar(r, kind, at));
        r.end = savedInner;
      }
      continue;
    }
    if (wt !== expected) throw new WireError(`${where}: wire type ${wt}, expected ${expected}`, tagStart);
    const value = readScalar(r, kind, r.pos);
    if (f.repeated === true) (lists.get(f) as unknown[]).push(value);
    else obj[f.name] = value;
  }
  r.end = savedEnd;
  for (const [f, values] of lists)
    obj[f.name] = finishRepeated(f.kind === 'map' ? 'message' : (f.kind as ScalarKind), values);
  if (unknown !== undefined) obj.unknownFields = unknown;
  return obj;
}

function decodeMapEntry(r: WireReader, end: number, f: FieldDef, depth: number): [unknown, unknown] {
  if (depth > MAX_DEPTH) throw new WireError(`messages nested deeper than ${MAX_DEPTH} levels`, r.pos);
  const keyKind = f.key as ScalarKind;
  const valueKind = f.value as ScalarKind | 'message';
  let key: unknown;
  let value: unknown;
  const savedEnd = r.end;
  r.end = end;
  while (r.pos < end) {
    const tagStart = r.pos;
    const tag = r.readUint32();
    const no = tag >>> 3;
    const wt = tag & 7;
    if (no === 1) {
      if (wt !== wireTypeOf(keyKind)) throw new WireError(`map key of ${f.name}: wire type ${wt}`, tagStart);
      key = readScalar(r, keyKind, r.pos);
    } else if (no === 2) {
      if (valueKind === 'message') {
        if (wt !== WIRE_LEN) throw new WireError(`map value of ${f.name}: wire type ${wt}, expected 2`, tagStart);
        const subEnd = r.readLengthEnd();
        value = decodeInto(r, subEnd, messageDef(f.msg as string), depth + 1);
      } else {
        if (wt !== wireTypeOf(valueKind)) throw new WireError(`map value of ${f.name}: wire type ${wt}`, tagStart);
        value = readScalar(r, valueKind, r.pos);
      }
    } else {
      if (no === 0) throw new WireError('field number 0 is not valid', tagStart);
      r.skip(wt, tagStart);
    }
  }
  r.end = savedEnd;
  key ??= defaultScalar(keyKind);
  if (value === undefined) {
    value =
      valueKind === 'message'
        ? decodeInto(new WireReader(new Uint8Array(0)), 0, messageDef(f.msg as string), depth + 1)
        : defaultScalar(valueKind);
  }
  return [key, value];
}

/** Decodes a message of the named type from `bytes`. Throws {@link WireError} with the byte offset. */
export function decodeMessage(bytes: Uint8Array, typeName: string): Obj {
  const r = new WireReader(bytes);
  return decodeInto(r, bytes.length, messageDef(typeName), 0);
}

function isDefault(kind: ScalarKind, v: unknown): boolean {
  switch (kind) {
    case 'string':
      return v === '';
    case 'bytes':
      return (v as Uint8Array).length === 0;
    case 'bool':
      return v === false;
    case 'int64big':
      return v === 0n;
    default:
      return v === 0 && !Object.is(v, -0);
  }
}

function writeScalar(w: WireWriter, kind: ScalarKind, v: unknown): void {
  switch (kind) {
    case 'float':
      w.float(v as number);
      return;
    case 'double':
      w.double(v as number);
      return;
    case 'string':
      w.string(v as string);
      return;
    case 'bytes':
      w.bytesField(v as Uint8Array);
      return;
    case 'bool':
      w.varint(v === true ? 1 : 0);
      return;
    case 'int32':
    case 'enum':
      w.int32(v as number);
      return;
    case 'uint32':
      w.varint((v as number) >>> 0);
      return;
    case 'int64big':
      w.bigint64(v as bigint);
      return;
    default:
      w.varint(v as number);
  }
}

function writeField(w: WireWriter, f: FieldDef, v: unknown): void {
  if (v === undefined) return;
  if (f.kind === 'message') {
    const def = messageDef(f.msg as string);
    if (f.repeated === true) {
      for (const item of v as Obj[]) writeSubMessage(w, f.no, item, def);
    } else {
      writeSubMessage(w, f.no, v as Obj, def);
    }
    return;
  }
  if (f.kind === 'map') {
    const keyKind = f.key as ScalarKind;
    const valueKind = f.value as ScalarKind | 'message';
    for (const [k, val] of v as Map<unknown, unknown>) {
      const entry = new WireWriter(64);
      entry.tag(1, wireTypeOf(keyKind));
      writeScalar(entry, keyKind, k);
      if (valueKind === 'message') writeSubMessage(entry, 2, val as Obj, messageDef(f.msg as string));
      else {
        entry.tag(2, wireTypeOf(valueKind));
        writeScalar(entry, valueKind, val);
      }
      w.tag(f.no, WIRE_LEN);
      w.bytesField(entry.finish());
    }
    return;
  }
  const kind = f.kind;
  if (f.repeated === true) {
    const list = v as ArrayLike<unknown>;
    if (list.length === 0) return;
    if (isPackable(kind)) {
      const packed = new WireWriter(Math.max(16, list.length * 4));
      for (let i = 0; i < list.length; i++) writeScalar(packed, kind, list[i]);
      w.tag(f.no, WIRE_LEN);
      w.bytesField(packed.finish());
    } else {
      for (let i = 0; i < list.length; i++) {
        w.tag(f.no, wireTypeOf(kind));
        writeScalar(w, kind, list[i]);
      }
    }
    return;
  }
  if (f.oneof !== true && isDefault(kind, v)) return;
  w.tag(f.no, wireTypeOf(kind));
  writeScalar(w, kind, v);
}

function writeSubMessage(w: WireWriter, no: number, obj: Obj, def: MessageDef): void {
  const sub = new WireWriter(64);
  encodeInto(sub, obj, def);
  w.tag(no, WIRE_LEN);
  w.bytesField(sub.finish());
}

function encodeInto(w: WireWriter, obj: Obj, def: MessageDef): void {
  const unknown = (obj.unknownFields as RawField[] | undefined) ?? [];
  let u = 0;
  for (const f of def.fields) {
    while (u < unknown.length && (unknown[u] as RawField).field < f.no) w.raw((unknown[u++] as RawField).raw);
    writeField(w, f, obj[f.name]);
  }
  while (u < unknown.length) w.raw((unknown[u++] as RawField).raw);
}

/** Encodes a decoded (or hand-built) message of the named type. */
export function encodeMessage(obj: object, typeName: string): Uint8Array {
  const w = new WireWriter(1024);
  encodeInto(w, obj as Obj, messageDef(typeName));
  return w.finish();
}
