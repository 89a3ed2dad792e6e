/**
 * The subset of Core ML's protobuf schema that lowbit models (Model.proto, MIL.proto, FeatureTypes.proto,
 * field numbers from coremltools' `mlmodel/format/*.proto`). Every field not listed here is kept as raw bytes
 * by the codec and written back unchanged.
 */

/** Scalar kinds of the codec. `int64big` decodes to `bigint`; `int64`/`uint64` to safe-integer numbers. */
export type ScalarKind =
  'int32' | 'uint32' | 'enum' | 'int64' | 'uint64' | 'int64big' | 'bool' | 'string' | 'bytes' | 'float' | 'double';

/** One field of a message. */
export interface FieldDef {
  readonly no: number;
  readonly name: string;
  readonly kind: ScalarKind | 'message' | 'map';
  /** Message type name for `message` fields and for map values of kind `message`. */
  readonly msg?: string;
  readonly repeated?: boolean;
  /** Member of a oneof: written even when it holds the default value. */
  readonly oneof?: boolean;
  /** Map key kind. */
  readonly key?: ScalarKind;
  /** Map value kind. */
  readonly value?: ScalarKind | 'message';
}

/** A message definition with its fields sorted by number. */
export interface MessageDef {
  readonly name: string;
  readonly fields: readonly FieldDef[];
  readonly byNumber: ReadonlyMap<number, FieldDef>;
}

type Spec = readonly [no: number, name: string, kind: FieldDef['kind'], extra?: Partial<FieldDef>];

const m = (msg: string, extra: Partial<FieldDef> = {}): Partial<FieldDef> => ({ msg, ...extra });
const rep: Partial<FieldDef> = { repeated: true };
const one: Partial<FieldDef> = { oneof: true };
const mapOf = (value: ScalarKind | 'message', msg?: string): Partial<FieldDef> =>
  msg === undefined ? { key: 'string', value } : { key: 'string', value, msg };

const TABLE: Record<string, readonly Spec[]> = {
  // Model.proto
  Model: [
    [1, 'specificationVersion', 'int32'],
    [2, 'description', 'message', m('ModelDescription')],
    [10, 'isUpdatable', 'bool'],
    [200, 'pipelineClassifier', 'message', m('PipelineWrapper', one)],
    [201, 'pipelineRegressor', 'message', m('PipelineWrapper', one)],
    [202, 'pipeline', 'message', m('Pipeline', one)],
    [502, 'mlProgram', 'message', m('Program', one)],
  ],
  PipelineWrapper: [[1, 'pipeline', 'message', m('Pipeline')]],
  Pipeline: [
    [1, 'models', 'message', m('Model', rep)],
    [2, 'names', 'string', rep],
  ],
  ModelDescription: [
    [1, 'input', 'message', m('FeatureDescription', rep)],
    [10, 'output', 'message', m('FeatureDescription', rep)],
    [11, 'predictedFeatureName', 'string'],
    [12, 'predictedProbabilitiesName', 'string'],
    [13, 'state', 'message', m('FeatureDescription', rep)],
    [20, 'functions', 'message', m('FunctionDescription', rep)],
    [21, 'defaultFunctionName', 'string'],
    [50, 'trainingInput', 'message', m('FeatureDescription', rep)],
    [100, 'metadata', 'message', m('Metadata')],
  ],
  FunctionDescription: [
    [1, 'name', 'string'],
    [2, 'input', 'message', m('FeatureDescription', rep)],
    [3, 'output', 'message', m('FeatureDescription', rep)],
    [4, 'predictedFeatureName', 'string'],
    [5, 'predictedProbabilitiesName', 'string'],
    [6, 'state', 'message', m('FeatureDescription', rep)],
  ],
  Metadata: [
    [1, 'shortDescription', 'string'],
    [2, 'versionString', 'string'],
    [3, 'author', 'string'],
    [4, 'license', 'string'],
    [100, 'userDefined', 'map', mapOf('string')],
  ],
  FeatureDescription: [
    [1, 'name', 'string'],
    [2, 'shortDescription', 'string'],
    [3, 'type', 'message', m('FeatureType')],
  ],
  // FeatureTypes.proto (only the multi-array member is modelled; the others stay raw)
  FeatureType: [
    [5, 'multiArrayType', 'message', m('ArrayFeatureType', one)],
    [1000, 'isOptional', 'bool'],
  ],
  ArrayFeatureType: [
    [1, 'shape', 'int64', rep],
    [2, 'dataType', 'enum'],
  ],
  // MIL.proto
  Program: [
    [1, 'version', 'int64'],
    [2, 'functions', 'map', mapOf('message', 'Function')],
    [3, 'docString', 'string'],
    [4, 'attributes', 'map', mapOf('message', 'Value')],
  ],
  Function: [
    [1, 'inputs', 'message', m('NamedValueType', rep)],
    [2, 'opset', 'string'],
    [3, 'blockSpecializations', 'map', mapOf('message', 'Block')],
    [4, 'attributes', 'map', mapOf('message', 'Value')],
  ],
  Block: [
    [1, 'inputs', 'message', m('NamedValueType', rep)],
    [2, 'outputs', 'string', rep],
    [3, 'operations', 'message', m('Operation', rep)],
    [4, 'attributes', 'map', mapOf('message', 'Value')],
  ],
  Operation: [
    [1, 'type', 'string'],
    [2, 'inputs', 'map', mapOf('message', 'Argument')],
    [3, 'outputs', 'message', m('NamedValueType', rep)],
    [4, 'blocks', 'message', m('Block', rep)],
    [5, 'attributes', 'map', mapOf('message', 'Value')],
  ],
  Argument: [[1, 'arguments', 'message', m('Binding', rep)]],
  Binding: [
    [1, 'name', 'string', one],
    [2, 'value', 'message', m('Value', one)],
  ],
  NamedValueType: [
    [1, 'name', 'string'],
    [2, 'type', 'message', m('ValueType')],
  ],
  ValueType: [
    [1, 'tensorType', 'message', m('TensorType', one)],
    [2, 'listType', 'message', m('ListType', one)],
    [3, 'tupleType', 'message', m('TupleType', one)],
    [4, 'dictionaryType', 'message', m('DictionaryType', one)],
    [5, 'stateType', 'message', m('StateType', one)],
  ],
  TensorType: [
    [1, 'dataType', 'enum'],
    [2, 'rank', 'int64'],
    [3, 'dimensions', 'message', m('Dimension', rep)],
    [4, 'attributes', 'map', mapOf('message', 'Value')],
  ],
  Dimension: [
    [1, 'constant', 'message', m('ConstantDimension', one)],
    [2, 'unknown', 'message', m('UnknownDimension', one)],
  ],
  ConstantDimension: [[1, 'size', 'uint64']],
  UnknownDimension: [[1, 'variadic', 'bool']],
  ListType: [
    [1, 'type', 'message', m('ValueType')],
    [2, 'length', 'message', m('Dimension')],
  ],
  TupleType: [[1, 'types', 'message', m('ValueType', rep)]],
  DictionaryType: [
    [1, 'keyType', 'message', m('ValueType')],
    [2, 'valueType', 'message', m('ValueType')],
  ],
  StateType: [[1, 'wrappedType', 'message', m('ValueType')]],
  Value: [
    [1, 'docString', 'string'],
    [2, 'type', 'message', m('ValueType')],
    [3, 'immediateValue', 'message', m('ImmediateValue', one)],
    [5, 'blobFileValue', 'message', m('BlobFileValue', one)],
  ],
  ImmediateValue: [
    [1, 'tensor', 'message', m('TensorValue', one)],
    [2, 'tuple', 'message', m('ValueList', one)],
    [3, 'list', 'message', m('ValueList', one)],
    [4, 'dictionary', 'message', m('DictionaryValue', one)],
  ],
  BlobFileValue: [
    [1, 'fileName', 'string'],
    [2, 'offset', 'uint64'],
  ],
  TensorValue: [
    [1, 'floats', 'message', m('RepeatedFloats', one)],
    [2, 'ints', 'message', m('RepeatedInts', one)],
    [3, 'bools', 'message', m('RepeatedBools', one)],
    [4, 'strings', 'message', m('RepeatedStrings', one)],
    [5, 'longInts', 'message', m('RepeatedLongInts', one)],
    [6, 'doubles', 'message', m('RepeatedDoubles', one)],
    [7, 'bytes', 'message', m('RepeatedBytes', one)],
  ],
  RepeatedFloats: [[1, 'values', 'float', rep]],
  RepeatedInts: [[1, 'values', 'int32', rep]],
  RepeatedBools: [[1, 'values', 'bool', rep]],
  RepeatedStrings: [[1, 'values', 'string', rep]],
  RepeatedLongInts: [[1, 'values', 'int64big', rep]],
  RepeatedDoubles: [[1, 'values', 'double', rep]],
  RepeatedBytes: [[1, 'values', 'bytes']],
  ValueList: [[1, 'values', 'message', m('Value', rep)]],
  DictionaryValue: [[1, 'values', 'message', m('KeyValuePair', rep)]],
  KeyValuePair: [
    [1, 'key', 'message', m('Value')],
    [2, 'value', 'message', m('Value')],
  ],
};

let cache: Map<string, MessageDef> | undefined;

/** The definition of a message by name (built on first use, never at import time). */
export function messageDef(name: string): MessageDef {
  if (cache === undefined) {
    cache = new Map();
    for (const [msgName, specs] of Object.entries(TABLE)) {
      const fields = specs
        .map(([no, fieldName, kind, extra]) => ({ no, name: fieldName, kind, ...extra }) as FieldDef)
        .sort((a, b) => a.no - b.no);
      cache.set(msgName, { name: msgName, fields, byNumber: new Map(fields.map((f) => [f.no, f])) });
    }
  }
  const def = cache.get(name);
  if (def === undefined) throw new Error(`internal: unknown message ${name}`);
  return def;
}
