/** What an op implementation sees: its resolved inputs, typed accessors for parameters, and its declared outputs. */
import type { MilTensor } from '../mil-tensor.js';
import { evalError, showShape } from './errors.js';
import type { EvalValue } from './values.js';
import { isStringValue } from './values.js';

/** Declared type of one op output (a `-1` dimension is symbolic). */
export interface OutputType {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
}

/** Accessors over one op's inputs; every accessor names the op and parameter in its errors. */
export class OpContext {
  constructor(
    readonly type: string,
    readonly name: string,
    private readonly args: ReadonlyMap<string, readonly EvalValue[]>,
    readonly outputs: readonly OutputType[],
  ) {}

  /** `<type> "<name>"`, the prefix of every message about this op. */
  get where(): string {
    return `runProgram: op ${this.type} "${this.name}"`;
  }

  /** Throws a MILEVAL_INVALID_PROGRAM error about this op. */
  fail(message: string): never {
    throw evalError('MILEVAL_INVALID_PROGRAM', this.where, message);
  }

  has(param: string): boolean {
    return this.args.has(param);
  }

  private value(param: string): EvalValue | undefined {
    const list = this.args.get(param);
    if (list === undefined) return undefined;
    if (list.length !== 1) this.fail(`parameter ${param} has ${list.length} bindings, expected 1`);
    return list[0];
  }

  /** A required tensor parameter. */
  tensor(param: string): MilTensor {
    const v = this.value(param);
    if (v === undefined) this.fail(`required parameter ${param} is missing`);
    if (isStringValue(v)) this.fail(`parameter ${param} is a string, expected a tensor`);
    return v;
  }

  /** An optional tensor parameter. */
  optTensor(param: string): MilTensor | undefined {
    return this.has(param) ? this.tensor(param) : undefined;
  }

  /** Every binding of a variadic parameter (concat's `values`). */
  tensors(param: string): MilTensor[] {
    const list = this.args.get(param);
    if (list === undefined) this.fail(`required parameter ${param} is missing`);
    return list.map((v) => {
      if (isStringValue(v)) this.fail(`parameter ${param} holds a string, expected tensors`);
      return v;
    });
  }

  /** An integer vector parameter, or `fallback` when absent. */
  ints(param: string, fallback?: readonly number[]): number[] {
    if (!this.has(param)) {
      if (fallback === undefined) this.fail(`required parameter ${param} is missing`);
      return [...fallback];
    }
    const t = this.tensor(param);
    return Array.from(t.data);
  }

  /** An integer scalar parameter, or `fallback` when absent. */
  int(param: string, fallback?: number): number {
    if (!this.has(param)) {
      if (fallback === undefined) this.fail(`required parameter ${param} is missing`);
      return fallback;
    }
    const t = this.tensor(param);
    if (t.data.length !== 1) this.fail(`parameter ${param} must be a scalar, got shape ${showShape(t.shape)}`);
    return t.data[0] as number;
  }

  /** A float scalar parameter, or `fallback` when absent. */
  float(param: string, fallback?: number): number {
    return this.int(param, fallback);
  }

  /** A boolean scalar parameter, or `fallback` when absent. */
  bool(param: string, fallback: boolean): boolean {
    return this.has(param) ? this.int(param) !== 0 : fallback;
  }

  /** A string scalar parameter, or `fallback` when absent. */
  string(param: string, fallback?: string): string {
    const v = this.value(param);
    if (v === undefined) {
      if (fallback === undefined) this.fail(`required parameter ${param} is missing`);
      return fallback;
    }
    if (!isStringValue(v) || v.strings.length !== 1) this.fail(`parameter ${param} must be a string scalar`);
    return v.strings[0] as string;
  }

  /** Dtype of output `i` as declared in the program. */
  outDType(i = 0): string {
    return this.outputs[i]?.dtype ?? 'float32';
  }
}
