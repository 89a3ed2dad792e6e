/**
 * TypeScript shapes of the decoded Core ML protobuf messages (the subset lowbit models; see docs/io-mlpackage.md
 * for the field numbers). Repeated fields are arrays, `map<>` fields are `Map`s in wire order. Fields lowbit does
 * not model are kept verbatim in `unknownFields` and written back unchanged.
 */

/** A protobuf field lowbit does not model, kept as its raw wire record (tag included). */
export interface ProtoUnknownField {
  /** Field number. */
  readonly field: number;
  /** Wire type (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32). */
  readonly wireType: number;
  /** The whole record as it appeared on the wire. */
  readonly raw: Uint8Array;
}

/** Fields shared by every decoded message. */
export interface ProtoMessage {
  /** Fields not modelled by lowbit, in wire order. */
  unknownFields?: ProtoUnknownField[];
}

/** `CoreML.Specification.Model`. Exactly one model kind is set; lowbit models `mlProgram` and the pipelines. */
export interface CoreMLModel extends ProtoMessage {
  specificationVersion?: number;
  description?: ModelDescription;
  isUpdatable?: boolean;
  pipelineClassifier?: PipelineWrapper;
  pipelineRegressor?: PipelineWrapper;
  pipeline?: Pipeline;
  mlProgram?: MilProgram;
}

/** `PipelineClassifier` / `PipelineRegressor`: a wrapper around a {@link Pipeline}. */
export interface PipelineWrapper extends ProtoMessage {
  pipeline?: Pipeline;
}

/** `Pipeline`: models run in sequence. */
export interface Pipeline extends ProtoMessage {
  models: CoreMLModel[];
  names: string[];
}

/** `ModelDescription`. */
export interface ModelDescription extends ProtoMessage {
  input: FeatureDescription[];
  output: FeatureDescription[];
  predictedFeatureName?: string;
  predictedProbabilitiesName?: string;
  state: FeatureDescription[];
  functions: FunctionDescription[];
  defaultFunctionName?: string;
  trainingInput: FeatureDescription[];
  metadata?: ModelMetadata;
}

/** `FunctionDescription` (multi-function models, spec 9+). */
export interface FunctionDescription extends ProtoMessage {
  name?: string;
  input: FeatureDescription[];
  output: FeatureDescription[];
  predictedFeatureName?: string;
  predictedProbabilitiesName?: string;
  state: FeatureDescription[];
}

/** `Metadata`. */
export interface ModelMetadata extends ProtoMessage {
  shortDescription?: string;
  versionString?: string;
  author?: string;
  license?: string;
  userDefined: Map<string, string>;
}

/** `FeatureDescription`. */
export interface FeatureDescription extends ProtoMessage {
  name?: string;
  shortDescription?: string;
  type?: FeatureType;
}

/** `FeatureType`: only `multiArrayType` is modelled; image, int64, dictionary... types stay raw. */
export interface FeatureType extends ProtoMessage {
  multiArrayType?: ArrayFeatureType;
  isOptional?: boolean;
}

/** `ArrayFeatureType` (shape flexibility and default values stay raw). */
export interface ArrayFeatureType extends ProtoMessage {
  shape: number[];
  /** `ArrayDataType`: FLOAT32 65568, DOUBLE 65600, INT32 131104, INT8 131080, FLOAT16 65552. */
  dataType?: number;
}

/** `MILSpec.Program`. */
export interface MilProgram extends ProtoMessage {
  version?: number;
  functions: Map<string, MilFunction>;
  docString?: string;
  attributes: Map<string, MilValue>;
}

/** `MILSpec.Function`. */
export interface MilFunction extends ProtoMessage {
  inputs: MilNamedValueType[];
  /** Active opset, e.g. `"CoreML6"`; a key of `blockSpecializations`. */
  opset?: string;
  blockSpecializations: Map<string, MilBlock>;
  attributes: Map<string, MilValue>;
}

/** `MILSpec.Block`. */
export interface MilBlock extends ProtoMessage {
  inputs: MilNamedValueType[];
  outputs: string[];
  operations: MilOperation[];
  attributes: Map<string, MilValue>;
}

/** `MILSpec.Operation`. */
export interface MilOperation extends ProtoMessage {
  type?: string;
  inputs: Map<string, MilArgument>;
  outputs: MilNamedValueType[];
  blocks: MilBlock[];
  attributes: Map<string, MilValue>;
}

/** `MILSpec.Argument`: one binding, or several for variadic parameters. */
export interface MilArgument extends ProtoMessage {
  arguments: MilBinding[];
}

/** `MILSpec.Argument.Binding`: a name of an earlier value, or a literal value. */
export interface MilBinding extends ProtoMessage {
  name?: string;
  value?: MilValue;
}

/** `MILSpec.NamedValueType`. */
export interface MilNamedValueType extends ProtoMessage {
  name?: string;
  type?: MilValueType;
}

/** `MILSpec.ValueType`. */
export interface MilValueType extends ProtoMessage {
  tensorType?: MilTensorType;
  listType?: MilListType;
  tupleType?: MilTupleType;
  dictionaryType?: MilDictionaryType;
  stateType?: MilStateType;
}

/** `MILSpec.TensorType`. */
export interface MilTensorType extends ProtoMessage {
  /** `MILSpec.DataType` number (FLOAT16 = 10, FLOAT32 = 11, INT8 = 21, INT4 = 25, UINT8 = 31...). */
  dataType?: number;
  /** Rank; -1 = unknown; absent = 0 (scalar). */
  rank?: number;
  dimensions: MilDimension[];
  attributes: Map<string, MilValue>;
}

/** `MILSpec.Dimension`. */
export interface MilDimension extends ProtoMessage {
  constant?: { size?: number; unknownFields?: ProtoUnknownField[] };
  unknown?: { variadic?: boolean; unknownFields?: ProtoUnknownField[] };
}

/** `MILSpec.ListType`. */
export interface MilListType extends ProtoMessage {
  type?: MilValueType;
  length?: MilDimension;
}

/** `MILSpec.TupleType`. */
export interface MilTupleType extends ProtoMessage {
  types: MilValueType[];
}

/** `MILSpec.DictionaryType`. */
export interface MilDictionaryType extends ProtoMessage {
  keyType?: MilValueType;
  valueType?: MilValueType;
}

/** `MILSpec.StateType`. */
export interface MilStateType extends ProtoMessage {
  wrappedType?: MilValueType;
}

/** `MILSpec.Value`: a typed literal, immediate or in a blob file. */
export interface MilValue extends ProtoMessage {
  docString?: string;
  type?: MilValueType;
  immediateValue?: MilImmediateValue;
  blobFileValue?: MilBlobFileValue;
}

/** `MILSpec.Value.ImmediateValue`. */
export interface MilImmediateValue extends ProtoMessage {
  tensor?: MilTensorValue;
  tuple?: MilValueList;
  list?: MilValueList;
  dictionary?: MilDictionaryValue;
}

/** `MILSpec.Value.BlobFileValue`: `offset` is the offset of the blob's metadata record. */
export interface MilBlobFileValue extends ProtoMessage {
  fileName?: string;
  offset?: number;
}

/** `MILSpec.TensorValue`: exactly one member holds the elements. */
export interface MilTensorValue extends ProtoMessage {
  floats?: { values: Float32Array; unknownFields?: ProtoUnknownField[] };
  ints?: { values: Int32Array; unknownFields?: ProtoUnknownField[] };
  bools?: { values: boolean[]; unknownFields?: ProtoUnknownField[] };
  strings?: { values: string[]; unknownFields?: ProtoUnknownField[] };
  longInts?: { values: bigint[]; unknownFields?: ProtoUnknownField[] };
  doubles?: { values: Float64Array; unknownFields?: ProtoUnknownField[] };
  bytes?: { values?: Uint8Array; unknownFields?: ProtoUnknownField[] };
}

/** `MILSpec.TupleValue` / `MILSpec.ListValue`. */
export interface MilValueList extends ProtoMessage {
  values: MilValue[];
}

/** `MILSpec.DictionaryValue`. */
export interface MilDictionaryValue extends ProtoMessage {
  values: Array<{ key?: MilValue; value?: MilValue; unknownFields?: ProtoUnknownField[] }>;
}
