import type { MlPackage, OpsetTarget } from './ml-package.js';
import type { CoreMLModel } from './proto-types.js';
import { ioError } from './_internal/errors.js';
import { changedBetween } from './_internal/opset-changes.js';
import { isTarget, opsetRow, targetRow } from './_internal/opsets.js';
import { derivePackage } from './_internal/package-state.js';
import { findPrograms } from './_internal/program-walk.js';

/** Why one function can or cannot move to the target opset. */
export interface FunctionUpgradeCheck {
  readonly modelPath: string;
  readonly functionName: string;
  /** The function's current opset (`CoreML5`). */
  readonly fromOpset: string;
  /** Op types present in the function whose definition changes on the way, with the target that changes them. */
  readonly blockingOps: ReadonlyArray<{
    readonly opType: string;
    readonly changedIn: OpsetTarget;
    readonly count: number;
  }>;
}

/** Result of {@link checkOpsetUpgrade}. */
export interface OpsetUpgradeCheck {
  /** True when every function can move to `target` (or already is at or above it). */
  readonly ok: boolean;
  readonly target: OpsetTarget;
  /** Distinct blocking op types over all functions, sorted. */
  readonly blockingOps: readonly string[];
  readonly functions: readonly FunctionUpgradeCheck[];
}

const SUPPORTED: readonly OpsetTarget[] = ['iOS16', 'iOS17', 'iOS18'];

function checkTarget(target: unknown, fn: string): OpsetTarget {
  if (!isTarget(target) || !SUPPORTED.includes(target)) {
    throw ioError(
      'MLPACKAGE_UNSUPPORTED',
      fn,
      `target ${String(target)} is not supported; use one of ${SUPPORTED.join(', ')}`,
    );
  }
  return target;
}

/**
 * Tells whether every ML Program function of the package can be raised to `target`: true when each op type it
 * uses keeps the same MIL definition from its declared opset up to the target (see docs/io-mlpackage.md for the
 * table, derived from coremltools' per-opset op definitions).
 */
export function checkOpsetUpgrade(pkg: MlPackage, target: OpsetTarget): OpsetUpgradeCheck {
  const t = checkTarget(target, 'checkOpsetUpgrade');
  const toOrder = targetRow(t).order;
  const functions: FunctionUpgradeCheck[] = [];
  const all = new Set<string>();
  for (const prog of pkg.programs) {
    for (const f of prog.functions) {
      const row = opsetRow(f.opset);
      if (row === undefined) {
        functions.push({
          modelPath: f.modelPath,
          functionName: f.name,
          fromOpset: f.opset,
          blockingOps: [{ opType: `(unknown opset ${f.opset})`, changedIn: t, count: 1 }],
        });
        all.add(`(unknown opset ${f.opset})`);
        continue;
      }
      const changed = changedBetween(row.order, toOrder);
      const blocking = Object.entries(f.opTypeCounts)
        .filter(([op]) => changed.has(op))
        .map(([opType, count]) => ({ opType, changedIn: changed.get(opType) as OpsetTarget, count }))
        .sort((a, b) => (a.opType < b.opType ? -1 : 1));
      for (const b of blocking) all.add(b.opType);
      functions.push({ modelPath: f.modelPath, functionName: f.name, fromOpset: f.opset, blockingOps: blocking });
    }
  }
  return { ok: all.size === 0, target: t, blockingOps: [...all].sort(), functions };
}

/**
 * Raises every ML Program function below `target` to the target's opset (`CoreML6` for iOS16, `CoreML7` for
 * iOS17, `CoreML8` for iOS18) and the specification version of the Model holding it to match (enclosing pipeline models are
 * left as they are, as coremltools' own pipelines do),
 * but only when no op in the program changes definition on the way. Functions already at or above the target are
 * left as they are. Returns a new package; the input is untouched.
 *
 * @throws QuantError `MLPACKAGE_UNSUPPORTED` listing the blocking op types and where they changed.
 * @example
 * ```ts
 * if (checkOpsetUpgrade(pkg, 'iOS18').ok) pkg = upgradeOpset(pkg, 'iOS18');
 * ```
 */
export function upgradeOpset(pkg: MlPackage, target: OpsetTarget): MlPackage {
  const FN = 'upgradeOpset';
  const check = checkOpsetUpgrade(pkg, checkTarget(target, FN));
  if (!check.ok) {
    const list = check.functions
      .flatMap((f) => f.blockingOps.map((b) => `${b.opType} (changed in ${b.changedIn})`))
      .filter((v, i, a) => a.indexOf(v) === i)
      .join(', ');
    throw ioError(
      'MLPACKAGE_UNSUPPORTED',
      FN,
      `cannot raise the program to ${target}: these op types change definition on the way: ${list}. Convert the model for ${target} with coremltools instead, or keep the declared opset`,
      {
        blockingOps: check.blockingOps,
      },
    );
  }
  const row = targetRow(check.target);
  const model: CoreMLModel = structuredClone(pkg.model);
  let changed = false;
  for (const prog of findPrograms(model)) {
    for (const fn of prog.program.functions.values()) {
      const cur = opsetRow(fn.opset);
      if (cur === undefined || cur.order >= row.order) continue;
      const block = fn.blockSpecializations.get(fn.opset as string);
      if (block === undefined) continue;
      const entries = [...fn.blockSpecializations].map(([k, v]): [string, typeof v] => [
        k === fn.opset ? row.opset : k,
        v,
      ]);
      fn.blockSpecializations = new Map(entries);
      fn.opset = row.opset;
      changed = true;
    }
    if ((prog.model.specificationVersion ?? 0) < row.spec) prog.model.specificationVersion = row.spec;
  }
  if (!changed) return pkg;
  return derivePackage(pkg, model, new Map(), FN);
}
