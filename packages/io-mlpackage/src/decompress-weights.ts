import type { MlPackage } from './ml-package.js';
import type { CoreMLModel, MilBlock, MilOperation, MilValue } from './proto-types.js';
import { withSession } from './_internal/blob-session.js';
import { isConstexpr } from './_internal/constexpr.js';
import { decodeValue } from './_internal/decode-weight.js';
import { floatBytes, stringScalar, tensorFromBytes } from './_internal/make-value.js';
import type { MilDType } from './_internal/mil-types.js';
import type { PendingBlob } from './_internal/package-state.js';
import { derivePackage } from './_internal/package-state.js';
import { findPrograms, forEachOp, indexBlock, opName } from './_internal/program-walk.js';
import { listWeights } from './list-weights.js';
import { ioError } from './_internal/errors.js';

function intBytes(values: Float32Array, dtype: MilDType): Uint8Array {
  switch (dtype.name) {
    case 'int8':
      return new Uint8Array(Int8Array.from(values).buffer);
    case 'uint8':
      return Uint8Array.from(values);
    default:
      throw ioError(
        'MLPACKAGE_UNSUPPORTED',
        'decompressWeights',
        `a constexpr producing ${dtype.name} cannot be turned into a const`,
      );
  }
}

function removeUnused(block: MilBlock): void {
  // Drop constexpr/const ops whose outputs nobody reads any more (the inputs of a replaced chain).
  for (let pass = 0; pass < 64; pass++) {
    const idx = indexBlock(block);
    let removed = false;
    const prune = (b: MilBlock) => {
      b.operations = b.operations.filter((op) => {
        if (!isConstexpr(op.type)) return true;
        const used = op.outputs.some(
          (o) => o.name !== undefined && ((idx.uses.get(o.name)?.length ?? 0) > 0 || idx.blockOutputs.has(o.name)),
        );
        if (!used) removed = true;
        return used;
      });
      for (const op of b.operations) for (const nb of op.blocks) prune(nb);
    };
    prune(block);
    if (!removed) return;
  }
}

/**
 * Turns every compressed weight (the output of a `constexpr_*` chain) back into a plain `const` holding the
 * decoded values in the weight's dtype (float16 for float16 models, float32 otherwise), with the same output name,
 * so consumers are unaffected. The constexpr ops feeding it are removed. Returns a new package.
 *
 * @example
 * ```ts
 * const plain = await decompressWeights(await readMlPackage('palettized.mlpackage'));
 * ```
 */
export async function decompressWeights(pkg: MlPackage): Promise<MlPackage> {
  const FN = 'decompressWeights';
  const targets = listWeights(pkg).filter((w) => w.compression !== null);
  if (targets.length === 0) return pkg;
  const model: CoreMLModel = structuredClone(pkg.model);
  const programs = findPrograms(model);
  const pending = new Map<string, PendingBlob>();
  await withSession(pkg, FN, async (session) => {
    for (const prog of pkg.programs) {
      for (const fn of prog.functions) {
        const mine = targets.filter((w) => w.modelPath === fn.modelPath && w.functionName === fn.name);
        if (mine.length === 0) continue;
        const index = indexBlock(fn.block);
        const cloneBlock = programs
          .find((p) => p.modelPath === fn.modelPath)
          ?.program.functions.get(fn.name)
          ?.blockSpecializations.get(fn.opset);
        if (cloneBlock === undefined) continue;
        const replacements = new Map<string, MilOperation>();
        for (const w of mine) {
          const d = await decodeValue({ session, index, where: `${FN}: Data/${pkg.rootModelPath}` }, w.name);
          const bytes =
            d.dtype.kind === 'float'
              ? floatBytes(d.values, d.dtype.name === 'float16' ? 'float16' : 'float32')
              : intBytes(d.values, d.dtype);
          if (d.dtype.kind === 'float' && d.dtype.name !== 'float16' && d.dtype.name !== 'float32') {
            throw ioError(
              'MLPACKAGE_UNSUPPORTED',
              FN,
              `weight ${w.name} decodes to ${d.dtype.name}, which lowbit cannot store as a const`,
            );
          }
          const val: MilValue = tensorFromBytes(d.dtype, d.shape, bytes, pending);
          const producer = index.producers.get(w.name)?.op as MilOperation;
          replacements.set(w.name, {
            type: 'const',
            inputs: new Map(),
            outputs: [structuredClone(producer.outputs[0] as NonNullable<MilOperation['outputs'][0]>)],
            blocks: [],
            attributes: new Map([
              ['name', stringScalar(opName(producer))],
              ['val', val],
            ]),
          });
        }
        const swap = (b: MilBlock) => {
          b.operations = b.operations.map((op) => {
            const n = op.outputs[0]?.name;
            return n !== undefined && isConstexpr(op.type) && replacements.has(n)
              ? (replacements.get(n) as MilOperation)
              : op;
          });
        };
        swap(cloneBlock);
        forEachOp(cloneBlock, (op) => op.blocks.forEach(swap));
        removeUnused(cloneBlock);
      }
    }
  });
  return derivePackage(pkg, model, pending, FN);
}
