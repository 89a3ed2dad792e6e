/** Resolving a weight reference (name, id or WeightInfo) to its function. */
import type { MlFunctionInfo, MlPackage } from '../ml-package.js';
import type { WeightInfo } from '../weight-info.js';
import { ioError } from './errors.js';

/** A weight reference accepted by the API: its value name, its `id`, or a record from `listWeights`. */
export type WeightRef = string | Pick<WeightInfo, 'id'>;

/** Finds the function and value name a reference designates. */
export function findWeightFunction(pkg: MlPackage, ref: WeightRef, fn: string): { fn: MlFunctionInfo; name: string } {
  if (typeof ref === 'object' && ref !== null && typeof ref.id === 'string') return findById(pkg, ref.id, fn);
  if (typeof ref !== 'string')
    throw ioError('MLPACKAGE_UNSUPPORTED', fn, 'weight reference must be a name, an id or a record from listWeights');
  if (ref.includes('/')) {
    try {
      return findById(pkg, ref, fn);
    } catch {
      // fall through: names may not contain '/', but try as a plain name anyway
    }
  }
  const hits: Array<{ fn: MlFunctionInfo; name: string }> = [];
  for (const p of pkg.programs) {
    for (const f of p.functions) {
      for (const op of f.block.operations) if (op.outputs.some((o) => o.name === ref)) hits.push({ fn: f, name: ref });
    }
  }
  if (hits.length === 0)
    throw ioError(
      'MLPACKAGE_NOT_FOUND',
      fn,
      `no weight named "${ref}" in the package (see listWeights for the names)`,
      { weight: ref },
    );
  if (hits.length > 1) {
    const ids = hits.map((h) => `${h.fn.modelPath}/${h.fn.name}/${ref}`);
    throw ioError(
      'MLPACKAGE_NOT_FOUND',
      fn,
      `weight name "${ref}" is ambiguous; use one of the ids ${ids.join(', ')}`,
      { weight: ref },
    );
  }
  return hits[0] as { fn: MlFunctionInfo; name: string };
}

function findById(pkg: MlPackage, id: string, fn: string): { fn: MlFunctionInfo; name: string } {
  const a = id.lastIndexOf('/');
  const b = id.lastIndexOf('/', a - 1);
  const modelPath = id.slice(0, Math.max(b, 0));
  const fname = id.slice(b + 1, a);
  const name = id.slice(a + 1);
  for (const p of pkg.programs) {
    if (p.modelPath !== modelPath) continue;
    for (const f of p.functions) if (f.name === fname) return { fn: f, name };
  }
  throw ioError('MLPACKAGE_NOT_FOUND', fn, `no weight with id "${id}" in the package`, { weight: id });
}
