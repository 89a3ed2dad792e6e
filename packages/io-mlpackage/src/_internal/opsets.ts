/** MIL opset strings, deployment targets and specification versions (coremltools `_OPSET`, Model.proto). */
import type { OpsetTarget } from '../ml-package.js';

interface OpsetRow {
  readonly opset: string;
  readonly target: OpsetTarget;
  readonly spec: number;
  readonly order: number;
}

const ROWS: readonly OpsetRow[] = [
  { opset: 'CoreML5', target: 'iOS15', spec: 6, order: 15 },
  { opset: 'CoreML6', target: 'iOS16', spec: 7, order: 16 },
  { opset: 'CoreML7', target: 'iOS17', spec: 8, order: 17 },
  { opset: 'CoreML8', target: 'iOS18', spec: 9, order: 18 },
  { opset: 'CoreML9', target: 'iOS26', spec: 10, order: 26 },
];

/** Every target lowbit knows, oldest first. */
export const TARGETS: readonly OpsetTarget[] = ROWS.map((r) => r.target);

/** The row of an opset string, or undefined. */
export function opsetRow(opset: string | undefined): OpsetRow | undefined {
  return ROWS.find((r) => r.opset === opset);
}

/** The row of a target. */
export function targetRow(target: OpsetTarget): OpsetRow {
  return ROWS.find((r) => r.target === target) as OpsetRow;
}

/** True when `target` is a known target name. */
export function isTarget(target: unknown): target is OpsetTarget {
  return typeof target === 'string' && ROWS.some((r) => r.target === target);
}

/** Numeric order of a target (15, 16, 17, 18, 26). */
export function targetOrder(target: OpsetTarget): number {
  return targetRow(target).order;
}
