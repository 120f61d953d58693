/**
 * Per-op test cases as data, run by tests/onnx/ops.test.ts against onnxruntime-node.
 *
 * A case is one node (`op` with `attributes`, fed by the graph input `x` and the constants `consts`) or a
 * few nodes (`nodes`, reading `x` and the initializers `inits`, the last writing `y`). `input` is the
 * per-sample shape of `x` (the batch is symbolic). A case with `expectRefusal` must be refused by snnc with a
 * message that names the node and the op and matches the pattern; unless `invalidOnnx` is set the model must
 * still load in onnxruntime (so snnc refuses a valid model), and with it onnxruntime must refuse it too (the
 * node is malformed for that opset).
 */
import { attr, type AttrValue, type StoredType } from '../../src/onnx/builder.js';

/** A constant input: values seeded random (`random`, `positive`) or given. */
export interface Const {
  dims: number[];
  values?: number[];
  type?: StoredType;
  positive?: boolean;
}

export interface NodeSpec {
  op: string;
  in: string[];
  out: string | string[];
  attrs?: Record<string, AttrValue>;
  name?: string;
}

export interface OpCase {
  name: string;
  /** The op the case exercises (the coverage check reads it). */
  op: string;
  opset: number;
  input: number[];
  attributes?: Record<string, AttrValue>;
  /** Constant inputs after `x` for the one-node form; null leaves an optional input out. */
  consts?: (Const | null)[];
  /** The few-node form: nodes in order, the last one writing `y`. */
  nodes?: NodeSpec[];
  inits?: Record<string, Const>;
  expectRefusal?: RegExp;
  invalidOnnx?: boolean;
}

const rand = (...dims: number[]): Const => ({ dims });
const pos = (...dims: number[]): Const => ({ dims, positive: true });
const ints = (values: number[], dims = [values.length]): Const => ({ dims, values, type: 'int64' });
const floats = (values: number[], dims = [values.length]): Const => ({ dims, values });
const A = attr;
const INT64_MIN_PLUS_1 = -9223372036854775807;

/** A conv head so that a Pad, a reshape chain or a squeeze has something to read. */
const conv3 = (input: string, output: string, extra: Record<string, AttrValue> = {}): NodeSpec => ({ op: 'Conv', in: [input, 'w', 'b'], out: output, attrs: { kernel_shape: A.ints([3, 3]), ...extra } });

/** `x.view(x.size(0), -1)` as PyTorch exports it: Shape → Gather → Unsqueeze → Concat → Reshape. */
function flattenChain(opset: number): NodeSpec[] {
  return [
    conv3('x', 'h'),
    { op: 'Shape', in: ['h'], out: 's' },
    { op: 'Gather', in: ['s', 'zero'], out: 'n', attrs: { axis: A.int(0) } },
    opset >= 13 ? { op: 'Unsqueeze', in: ['n', 'axes0'], out: 'n1' } : { op: 'Unsqueeze', in: ['n'], out: 'n1', attrs: { axes: A.ints([0]) } },
    { op: 'Concat', in: ['n1', 'minus1'], out: 'target', attrs: { axis: A.int(0) } },
    { op: 'Reshape', in: ['h', 'target'], out: 'y' },
  ];
}
const FLATTEN_INITS = { w: rand(4, 2, 3, 3), b: rand(4), zero: ints([0], []), axes0: ints([0]), minus1: ints([-1]) };

/**
 * `F.pad(x, (1, 2, 0, 1))` as PyTorch 1.13 exports it after its own constant folding (which stops at
 * ConstantOfShape): the pads in PyTorch's order, extended with zeros, reshaped to pairs, reversed,
 * transposed and flattened into ONNX's begins-then-ends order.
 */
function fPadChain(unfolded: boolean): NodeSpec[] {
  const extension: NodeSpec[] = unfolded
    ? [
      { op: 'Constant', in: [], out: 'rank', attrs: { value: A.tensor({ dims: [], dataType: 7, int64Data: [4] }) } },
      { op: 'Constant', in: [], out: 'two', attrs: { value: A.tensor({ dims: [], dataType: 7, int64Data: [2] }) } },
      { op: 'Mul', in: ['rank', 'two'], out: 'twice' },
      { op: 'Shape', in: ['torch_pads'], out: 'pshape' },
      { op: 'Gather', in: ['pshape', 'zero1'], out: 'plen', attrs: { axis: A.int(0) } },
      { op: 'Sub', in: ['twice', 'plen'], out: 'extlen' },
    ]
    : [{ op: 'Constant', in: [], out: 'extlen', attrs: { value: A.tensor({ dims: [1], dataType: 7, int64Data: [4] }) } }];
  return [
    ...extension,
    { op: 'ConstantOfShape', in: ['extlen'], out: 'ext', attrs: { value: A.tensor({ dims: [1], dataType: 7, int64Data: [0] }) } },
    { op: 'Concat', in: ['torch_pads', 'ext'], out: 'all', attrs: { axis: A.int(0) } },
    { op: 'Reshape', in: ['all', 'pairs'], out: 'paired' },
    { op: 'Slice', in: ['paired', 'start_last', 'end_first', 'axis0', 'step_back'], out: 'reversed' },
    { op: 'Transpose', in: ['reversed'], out: 'transposed', attrs: { perm: A.ints([1, 0]) } },
    { op: 'Reshape', in: ['transposed', 'minus1'], out: 'flat' },
    { op: 'Cast', in: ['flat'], out: 'onnx_pads', attrs: { to: A.int(7) } },
    { op: 'Pad', in: ['x', 'onnx_pads', 'zero_value'], out: 'padded', attrs: { mode: A.string('constant') } },
    conv3('padded', 'y'),
  ];
}
const F_PAD_INITS = {
  torch_pads: ints([1, 2, 0, 1]), pairs: ints([-1, 2]), start_last: ints([-1]), end_first: ints([INT64_MIN_PLUS_1]),
  axis0: ints([0]), step_back: ints([-1]), minus1: ints([-1]), zero1: ints([0]), zero_value: floats([0], []),
  w: rand(3, 2, 3, 3), b: rand(3),
};

const squeezeAfterPool = (opset: number, axes: number[] | undefined): NodeSpec[] => [
  conv3('x', 'h'),
  { op: 'GlobalAveragePool', in: ['h'], out: 'g' },
  axes === undefined ? { op: 'Squeeze', in: ['g'], out: 'y' }
    : opset >= 13 ? { op: 'Squeeze', in: ['g', 'axes'], out: 'y' } : { op: 'Squeeze', in: ['g'], out: 'y', attrs: { axes: A.ints(axes) } },
];

const unsqueezeInput = (opset: number): NodeSpec[] => [
  opset >= 13 ? { op: 'Unsqueeze', in: ['x', 'axes'], out: 'img' } : { op: 'Unsqueeze', in: ['x'], out: 'img', attrs: { axes: A.ints([2, 3]) } },
  { op: 'Conv', in: ['img', 'w1', 'b'], out: 'y' },
];

const reduce = (op: 'ReduceMean' | 'ReduceSum', opset: number, axes: number[], keepdims: number | undefined, asInput: boolean): Pick<OpCase, 'nodes' | 'inits'> => ({
  nodes: [
    conv3('x', 'h', { pads: A.ints([1, 1, 1, 1]) }),
    {
      op, in: asInput ? ['h', 'axes'] : ['h'], out: 'y',
      attrs: { ...(asInput ? {} : { axes: A.ints(axes) }), ...(keepdims === undefined ? {} : { keepdims: A.int(keepdims) }) },
    },
  ],
  inits: { w: rand(3, 2, 3, 3), b: rand(3), ...(asInput ? { axes: ints(axes) } : {}) },
});

const bn = { consts: [pos(3), rand(3), rand(3), pos(3)] };

const refused = (op: string, opset: number, pattern: RegExp, more: Partial<OpCase> = {}): OpCase => ({
  name: `${op} is refused`, op, opset, input: [4], expectRefusal: pattern, ...more,
});
/** The reason and the remedy every refused activation's message gives (issue 21). */
const NO_RATE_CODE = /no exact spiking equivalent.*non-negative.*Relu or Clip\(0, max\).*snnc train/;

const BASE_CASES: OpCase[] = [
  // ---- Conv ----
  { name: 'Conv 3×3 with bias', op: 'Conv', opset: 13, input: [2, 7, 7], consts: [rand(3, 2, 3, 3), rand(3)] },
  { name: 'Conv without bias, kernel_shape given (opset 11)', op: 'Conv', opset: 11, input: [2, 6, 6], attributes: { kernel_shape: A.ints([3, 2]) }, consts: [rand(4, 2, 3, 2)] },
  { name: 'Conv strides 2', op: 'Conv', opset: 13, input: [2, 8, 7], attributes: { strides: A.ints([2, 2]) }, consts: [rand(3, 2, 3, 3), rand(3)] },
  { name: 'Conv asymmetric pads', op: 'Conv', opset: 13, input: [2, 6, 6], attributes: { pads: A.ints([1, 0, 2, 1]) }, consts: [rand(3, 2, 3, 3), rand(3)] },
  { name: 'Conv dilations 2', op: 'Conv', opset: 13, input: [2, 9, 9], attributes: { dilations: A.ints([2, 2]), pads: A.ints([2, 2, 2, 2]) }, consts: [rand(3, 2, 3, 3), rand(3)] },
  { name: 'Conv group 2', op: 'Conv', opset: 13, input: [4, 6, 6], attributes: { group: A.int(2) }, consts: [rand(6, 2, 3, 3), rand(6)] },
  { name: 'Conv depthwise (group = channels)', op: 'Conv', opset: 17, input: [3, 6, 6], attributes: { group: A.int(3), pads: A.ints([1, 1, 1, 1]) }, consts: [rand(3, 1, 3, 3), rand(3)] },
  { name: 'Conv auto_pad SAME_UPPER, stride 2 (uneven padding)', op: 'Conv', opset: 13, input: [2, 6, 6], attributes: { auto_pad: A.string('SAME_UPPER'), strides: A.ints([2, 2]) }, consts: [rand(3, 2, 3, 3), rand(3)] },
  { name: 'Conv auto_pad SAME_LOWER, stride 2 (uneven padding)', op: 'Conv', opset: 13, input: [2, 6, 6], attributes: { auto_pad: A.string('SAME_LOWER'), strides: A.ints([2, 2]) }, consts: [rand(3, 2, 3, 3), rand(3)] },
  { name: 'Conv auto_pad VALID', op: 'Conv', opset: 21, input: [2, 6, 6], attributes: { auto_pad: A.string('VALID') }, consts: [rand(3, 2, 3, 3), rand(3)] },
  // 1-D convolution over [C, L]: the IR's Conv2d over [C, 1, L].
  { name: 'Conv 1-D with bias', op: 'Conv', opset: 13, input: [2, 9], consts: [rand(3, 2, 3), rand(3)] },
  { name: 'Conv 1-D strides 2, pads, dilations 2 (opset 11)', op: 'Conv', opset: 11, input: [2, 11], attributes: { strides: A.ints([2]), pads: A.ints([1, 2]), dilations: A.ints([2]) }, consts: [rand(4, 2, 3)] },
  { name: 'Conv 1-D group 2, auto_pad SAME_UPPER', op: 'Conv', opset: 17, input: [4, 8], attributes: { group: A.int(2), auto_pad: A.string('SAME_UPPER') }, consts: [rand(4, 2, 3), rand(4)] },
  {
    name: 'Conv 1-D then BatchNormalization (BatchNorm1d, folded)', op: 'BatchNormalization', opset: 15, input: [2, 10],
    nodes: [{ op: 'Conv', in: ['x', 'w', 'b'], out: 'h', attrs: { pads: A.ints([1, 1]) } }, { op: 'BatchNormalization', in: ['h', 'g', 'beta', 'm', 'v'], out: 'y' }],
    inits: { w: rand(3, 2, 3), b: rand(3), g: pos(3), beta: rand(3), m: rand(3), v: pos(3) },
  },

  // ConvTranspose: zero insertion (an IndexMap) and a stride-1 convolution by the flipped kernel.
  { name: 'ConvTranspose stride 2, pads 1, output_padding 1, bias (as PyTorch writes it)', op: 'ConvTranspose', opset: 13, input: [2, 4, 4], attributes: { strides: A.ints([2, 2]), pads: A.ints([1, 1, 1, 1]), output_padding: A.ints([1, 1]) }, consts: [rand(2, 3, 3, 3), rand(3)] },
  { name: 'ConvTranspose stride 1 (a convolution), no bias (opset 11)', op: 'ConvTranspose', opset: 11, input: [3, 5, 5], consts: [rand(3, 2, 3, 3)] },
  { name: 'ConvTranspose kernel 2, stride 2 (upsampling)', op: 'ConvTranspose', opset: 17, input: [2, 3, 3], attributes: { strides: A.ints([2, 2]) }, consts: [rand(2, 4, 2, 2), rand(4)] },
  { name: 'ConvTranspose group 2, dilations 2, asymmetric pads', op: 'ConvTranspose', opset: 13, input: [4, 5, 4], attributes: { group: A.int(2), dilations: A.ints([2, 2]), pads: A.ints([1, 0, 2, 1]) }, consts: [rand(4, 1, 3, 3), rand(2)] },
  { name: 'ConvTranspose output_shape (pads derived)', op: 'ConvTranspose', opset: 13, input: [2, 3, 3], attributes: { strides: A.ints([2, 2]), output_shape: A.ints([6, 6]) }, consts: [rand(2, 2, 3, 3)] },
  { name: 'ConvTranspose auto_pad SAME_UPPER, stride 2', op: 'ConvTranspose', opset: 13, input: [2, 3, 3], attributes: { strides: A.ints([2, 2]), auto_pad: A.string('SAME_UPPER') }, consts: [rand(2, 2, 3, 3)] },
  { name: 'ConvTranspose 1-D stride 2, pads 1', op: 'ConvTranspose', opset: 21, input: [2, 5], attributes: { strides: A.ints([2]), pads: A.ints([1, 1]) }, consts: [rand(2, 3, 4), rand(3)] },

  // ---- pools ----
  { name: 'MaxPool 2×2 stride 2', op: 'MaxPool', opset: 13, input: [2, 6, 6], attributes: { kernel_shape: A.ints([2, 2]), strides: A.ints([2, 2]) } },
  { name: 'MaxPool 3×3 stride 2 pads 1', op: 'MaxPool', opset: 11, input: [2, 7, 7], attributes: { kernel_shape: A.ints([3, 3]), strides: A.ints([2, 2]), pads: A.ints([1, 1, 1, 1]) } },
  { name: 'MaxPool auto_pad SAME_UPPER', op: 'MaxPool', opset: 13, input: [2, 5, 5], attributes: { kernel_shape: A.ints([2, 2]), strides: A.ints([2, 2]), auto_pad: A.string('SAME_UPPER') } },
  { name: 'MaxPool ceil_mode=1 where it does not change the size', op: 'MaxPool', opset: 13, input: [2, 6, 6], attributes: { kernel_shape: A.ints([2, 2]), strides: A.ints([2, 2]), ceil_mode: A.int(1) } },
  { name: 'MaxPool ceil_mode=1 that changes the size is refused', op: 'MaxPool', opset: 13, input: [2, 7, 7], attributes: { kernel_shape: A.ints([2, 2]), strides: A.ints([2, 2]), ceil_mode: A.int(1) }, expectRefusal: /ceil_mode=1 changes the output size/ },
  { name: 'MaxPool dilations 2 are refused', op: 'MaxPool', opset: 13, input: [2, 7, 7], attributes: { kernel_shape: A.ints([2, 2]), dilations: A.ints([2, 2]) }, expectRefusal: /dilations \[2,2\] are not supported for pooling/ },
  { name: 'AveragePool 2×2 stride 2', op: 'AveragePool', opset: 13, input: [2, 6, 6], attributes: { kernel_shape: A.ints([2, 2]), strides: A.ints([2, 2]) } },
  { name: 'AveragePool pads 1, count_include_pad=0', op: 'AveragePool', opset: 13, input: [2, 5, 5], attributes: { kernel_shape: A.ints([3, 3]), strides: A.ints([2, 2]), pads: A.ints([1, 1, 1, 1]) } },
  { name: 'AveragePool pads 1, count_include_pad=1', op: 'AveragePool', opset: 11, input: [2, 5, 5], attributes: { kernel_shape: A.ints([3, 3]), pads: A.ints([1, 1, 1, 1]), count_include_pad: A.int(1) } },
  { name: 'AveragePool ceil_mode=1 where it does not change the size', op: 'AveragePool', opset: 13, input: [2, 6, 6], attributes: { kernel_shape: A.ints([2, 2]), strides: A.ints([2, 2]), ceil_mode: A.int(1) } },
  { name: 'AveragePool dilations [1, 1] (opset 19)', op: 'AveragePool', opset: 19, input: [2, 6, 6], attributes: { kernel_shape: A.ints([2, 2]), strides: A.ints([2, 2]), dilations: A.ints([1, 1]) } },
  { name: 'AveragePool dilations before opset 19 are malformed', op: 'AveragePool', opset: 18, input: [2, 6, 6], attributes: { kernel_shape: A.ints([2, 2]), dilations: A.ints([1, 1]) }, expectRefusal: /'dilations' is not an attribute of AveragePool/, invalidOnnx: true },
  { name: 'GlobalAveragePool', op: 'GlobalAveragePool', opset: 13, input: [3, 5, 4] },
  { name: 'GlobalAveragePool over [C, L]', op: 'GlobalAveragePool', opset: 13, input: [3, 7] },
  { name: 'MaxPool 1-D kernel 3 stride 2 pads 1', op: 'MaxPool', opset: 13, input: [2, 9], attributes: { kernel_shape: A.ints([3]), strides: A.ints([2]), pads: A.ints([1, 1]) } },
  { name: 'AveragePool 1-D kernel 2 stride 2', op: 'AveragePool', opset: 11, input: [3, 8], attributes: { kernel_shape: A.ints([2]), strides: A.ints([2]) } },

  // ---- Pad ----
  {
    name: 'Pad (constant pads) before AveragePool', op: 'Pad', opset: 13, input: [2, 5, 5],
    nodes: [{ op: 'Pad', in: ['x', 'pads'], out: 'p' }, { op: 'AveragePool', in: ['p'], out: 'y', attrs: { kernel_shape: A.ints([2, 2]), strides: A.ints([2, 2]) } }],
    inits: { pads: ints([0, 0, 1, 1, 0, 0, 0, 1]) },
  },
  {
    name: 'Pad with axes [2, 3] (opset 18) before Conv', op: 'Pad', opset: 18, input: [2, 5, 5],
    nodes: [{ op: 'Pad', in: ['x', 'pads', '', 'axes'], out: 'p' }, conv3('p', 'y')],
    inits: { pads: ints([1, 0, 2, 1]), axes: ints([2, 3]), w: rand(3, 2, 3, 3), b: rand(3) },
  },
  { name: 'Pad from the F.pad chain (ConstantOfShape/Concat/Slice/Transpose folded), opset 11', op: 'ConstantOfShape', opset: 11, input: [2, 5, 6], nodes: fPadChain(false), inits: F_PAD_INITS },
  { name: 'Pad from the F.pad chain, opset 13', op: 'Slice', opset: 13, input: [2, 5, 6], nodes: fPadChain(false), inits: F_PAD_INITS },
  { name: 'Pad from the F.pad chain without exporter constant folding (Shape/Gather/Mul/Sub too)', op: 'Transpose', opset: 13, input: [2, 5, 6], nodes: fPadChain(true), inits: F_PAD_INITS },
  {
    name: 'Pad before a Relu (an IndexMap)', op: 'Pad', opset: 13, input: [2, 4, 4],
    nodes: [{ op: 'Pad', in: ['x', 'pads'], out: 'p' }, { op: 'Relu', in: ['p'], out: 'y' }], inits: { pads: ints([0, 0, 1, 2, 0, 0, 2, 0]) },
  },
  { name: 'Pad of the channels and a crop (negative pads)', op: 'Pad', opset: 11, input: [2, 4, 5], consts: [ints([0, 1, -1, 0, 0, 2, 0, -2])] },
  { name: 'Pad on [C, L] before a 1-D Conv', op: 'Pad', opset: 13, input: [2, 6], nodes: [{ op: 'Pad', in: ['x', 'pads'], out: 'p' }, { op: 'Conv', in: ['p', 'w'], out: 'y' }], inits: { pads: ints([0, 0, 2, 0, 0, 1]), w: rand(3, 2, 3) } },
  {
    name: 'Pad before a residual Add', op: 'Pad', opset: 13, input: [2, 4, 4],
    nodes: [{ op: 'Pad', in: ['x', 'pads'], out: 'p' }, conv3('x', 'c', { pads: A.ints([2, 2, 2, 2]) }), { op: 'Add', in: ['p', 'c'], out: 'y' }],
    inits: { pads: ints([0, 0, 1, 1, 0, 0, 1, 1]), w: rand(2, 2, 3, 3), b: rand(2) },
  },
  { name: 'Pad mode reflect is refused', op: 'Pad', opset: 13, input: [2, 5, 5], attributes: { mode: A.string('reflect') }, consts: [ints([0, 0, 1, 1, 0, 0, 1, 1])], expectRefusal: /Pad mode 'reflect' is not supported/ },

  // ---- Gemm / MatMul ----
  { name: 'Gemm without C', op: 'Gemm', opset: 13, input: [5], consts: [rand(5, 3)] },
  { name: 'Gemm transB=1 with C', op: 'Gemm', opset: 11, input: [5], attributes: { transB: A.int(1) }, consts: [rand(3, 5), rand(3)] },
  { name: 'Gemm alpha 0.5, beta 2, C scalar', op: 'Gemm', opset: 13, input: [5], attributes: { alpha: A.float(0.5), beta: A.float(2) }, consts: [rand(5, 4), rand(1)] },
  { name: 'Gemm alpha, beta and transB with C [1, N]', op: 'Gemm', opset: 21, input: [4], attributes: { alpha: A.float(-1.5), beta: A.float(0.25), transB: A.int(1) }, consts: [rand(6, 4), rand(1, 6)] },
  { name: 'Gemm transA=1 is refused', op: 'Gemm', opset: 13, input: [5], attributes: { transA: A.int(1) }, consts: [rand(1, 3)], expectRefusal: /transA=1 on the activation is not supported/ },
  { name: 'MatMul by a constant', op: 'MatMul', opset: 13, input: [6], consts: [rand(6, 4)] },
  {
    name: 'MatMul then Add of a bias', op: 'MatMul', opset: 17, input: [6],
    nodes: [{ op: 'MatMul', in: ['x', 'w'], out: 'h' }, { op: 'Add', in: ['bias', 'h'], out: 'y' }],
    inits: { w: rand(6, 4), bias: rand(4) },
  },

  // ---- elementwise ----
  { name: 'Add a per-channel constant', op: 'Add', opset: 13, input: [3, 4, 4], consts: [rand(1, 3, 1, 1)] },
  { name: 'Sub a scalar constant', op: 'Sub', opset: 13, input: [3, 4, 4], consts: [rand()] },
  {
    name: 'Sub from a constant (constant first)', op: 'Sub', opset: 13, input: [3, 4],
    nodes: [{ op: 'Sub', in: ['c', 'x'], out: 'y' }], inits: { c: rand(3, 1) },
  },
  { name: 'Mul by a per-channel constant', op: 'Mul', opset: 14, input: [3, 4, 4], consts: [rand(3, 1, 1)] },
  { name: 'Div by a per-channel constant', op: 'Div', opset: 13, input: [3, 4, 4], consts: [pos(1, 3, 1, 1)] },
  {
    name: 'Add of two computed values (residual)', op: 'Add', opset: 13, input: [2, 6, 6],
    nodes: [conv3('x', 'a', { pads: A.ints([1, 1, 1, 1]) }), { op: 'Conv', in: ['x', 'w2'], out: 'c' }, { op: 'Add', in: ['a', 'c'], out: 'y' }],
    inits: { w: rand(3, 2, 3, 3), b: rand(3), w2: rand(3, 2, 1, 1) },
  },
  {
    name: 'Add/Mul of two constants fold before they scale an activation', op: 'Mul', opset: 13, input: [3, 4],
    nodes: [{ op: 'Mul', in: ['k1', 'k2'], out: 'k' }, { op: 'Add', in: ['k', 'one'], out: 'k3' }, { op: 'Mul', in: ['x', 'k3'], out: 'y' }],
    inits: { k1: rand(3, 1), k2: rand(1), one: floats([1], []) },
  },
  {
    name: 'Mul of two computed values is refused', op: 'Mul', opset: 13, input: [4],
    nodes: [{ op: 'Relu', in: ['x'], out: 'r' }, { op: 'Mul', in: ['x', 'r'], out: 'y' }], expectRefusal: /Mul of two computed values is not supported/,
  },
  { name: 'Relu', op: 'Relu', opset: 13, input: [3, 4, 4] },
  { name: 'Clip(0, 6) from inputs', op: 'Clip', opset: 11, input: [3, 4], consts: [floats([0], []), floats([6], [])] },
  { name: 'Clip(-0.5, 0.75)', op: 'Clip', opset: 13, input: [5], consts: [floats([-0.5], []), floats([0.75], [])] },
  { name: 'Clip with only min 0 (a Relu)', op: 'Clip', opset: 13, input: [5], consts: [floats([0], [])] },
  { name: 'Clip with only max', op: 'Clip', opset: 21, input: [5], consts: [null, floats([0.5], [])] },
  { name: 'Clip min/max attributes (before opset 11) are malformed from opset 11', op: 'Clip', opset: 11, input: [5], attributes: { min: A.float(0), max: A.float(6) }, expectRefusal: /'min' is not an attribute of Clip/, invalidOnnx: true },

  // ---- BatchNormalization ----
  {
    name: 'BatchNormalization after Conv (folded)', op: 'BatchNormalization', opset: 13, input: [2, 6, 6],
    nodes: [conv3('x', 'h'), { op: 'BatchNormalization', in: ['h', 'g', 'beta', 'm', 'v'], out: 'y', attrs: { epsilon: A.float(1e-3) } }],
    inits: { w: rand(3, 2, 3, 3), b: rand(3), g: pos(3), beta: rand(3), m: rand(3), v: pos(3) },
  },
  { name: 'BatchNormalization on [C, H, W] input (a Scale)', op: 'BatchNormalization', opset: 11, input: [3, 4, 4], ...bn },
  { name: 'BatchNormalization on [C] features (BatchNorm1d after Linear)', op: 'BatchNormalization', opset: 15, input: [3], attributes: { training_mode: A.int(0) }, ...bn },
  { name: 'BatchNormalization on [C, L] (BatchNorm1d on a sequence)', op: 'BatchNormalization', opset: 14, input: [3, 7], attributes: { momentum: A.float(0.1) }, ...bn },
  { name: 'BatchNormalization training_mode before opset 14 is malformed', op: 'BatchNormalization', opset: 13, input: [3], attributes: { training_mode: A.int(0) }, ...bn, expectRefusal: /'training_mode' is not an attribute of BatchNormalization/, invalidOnnx: true },

  // ---- shape ops ----
  { name: 'Reshape via Shape/Gather/Unsqueeze(axes attribute)/Concat (opset 11)', op: 'Gather', opset: 11, input: [2, 6, 6], nodes: flattenChain(11), inits: FLATTEN_INITS },
  { name: 'Reshape via Shape/Gather/Unsqueeze(axes input)/Concat (opset 13)', op: 'Unsqueeze', opset: 13, input: [2, 6, 6], nodes: flattenChain(13), inits: FLATTEN_INITS },
  { name: 'Reshape via the same chain (opset 21)', op: 'Concat', opset: 21, input: [2, 6, 6], nodes: flattenChain(21), inits: FLATTEN_INITS },
  {
    name: 'Reshape via Shape(start, end) (opset 15)', op: 'Shape', opset: 15, input: [2, 6, 6],
    nodes: [conv3('x', 'h'), { op: 'Shape', in: ['h'], out: 'n', attrs: { start: A.int(0), end: A.int(1) } }, { op: 'Concat', in: ['n', 'minus1'], out: 't', attrs: { axis: A.int(0) } }, { op: 'Reshape', in: ['h', 't'], out: 'y' }],
    inits: { ...FLATTEN_INITS },
  },
  {
    name: 'Shape start/end before opset 15 are malformed', op: 'Shape', opset: 14, input: [4],
    nodes: [{ op: 'Shape', in: ['x'], out: 's', attrs: { start: A.int(1) } }, { op: 'Reshape', in: ['x', 's'], out: 'y' }],
    expectRefusal: /'start' is not an attribute of Shape/, invalidOnnx: true,
  },
  { name: 'Reshape to [-1, N] (a flatten)', op: 'Reshape', opset: 13, input: [2, 3, 4], consts: [ints([-1, 24])] },
  { name: 'Reshape with 0 (copy the batch) and allowzero=0 (opset 14)', op: 'Reshape', opset: 14, input: [2, 3, 4], attributes: { allowzero: A.int(0) }, consts: [ints([0, -1])] },
  {
    name: 'Reshape of the graph input [784] to [1, 28, 28] before a Conv', op: 'Reshape', opset: 13, input: [784],
    nodes: [{ op: 'Reshape', in: ['x', 'shape'], out: 'img' }, { op: 'Conv', in: ['img', 'k'], out: 'y', attrs: { strides: A.ints([3, 3]) } }],
    inits: { shape: ints([-1, 1, 28, 28]), k: rand(2, 1, 3, 3) },
  },
  { name: 'Reshape allowzero before opset 14 is malformed', op: 'Reshape', opset: 13, input: [2, 3, 4], attributes: { allowzero: A.int(0) }, consts: [ints([0, -1])], expectRefusal: /'allowzero' is not an attribute of Reshape/, invalidOnnx: true },
  { name: 'Reshape of a computed tensor that is not a flatten (a Reshape node)', op: 'Reshape', opset: 13, input: [2, 3, 4], nodes: [{ op: 'Relu', in: ['x'], out: 'r' }, { op: 'Reshape', in: ['r', 's'], out: 'y' }], inits: { s: ints([-1, 6, 4]) } },
  { name: 'Reshape to 4 per-sample dimensions is refused', op: 'Reshape', opset: 13, input: [2, 3, 4], nodes: [{ op: 'Relu', in: ['x'], out: 'r' }, { op: 'Reshape', in: ['r', 's'], out: 'y' }], inits: { s: ints([-1, 2, 3, 2, 2]) }, expectRefusal: /reshape of \[batch, 2,3,4\] to \[batch, 2,3,2,2\] is not supported: the IR holds at most 3 per-sample dimensions/ },
  { name: 'Flatten axis 1', op: 'Flatten', opset: 13, input: [2, 3, 3] },
  { name: 'Flatten axis -3 (= 1 on rank 4)', op: 'Flatten', opset: 11, input: [2, 3, 3], attributes: { axis: A.int(-3) } },
  { name: 'Flatten of a flat value', op: 'Flatten', opset: 13, input: [7] },
  { name: 'Flatten axis 2 is refused', op: 'Flatten', opset: 13, input: [2, 3, 3], attributes: { axis: A.int(2) }, expectRefusal: /Flatten axis 2 is not supported/ },
  { name: 'Squeeze [C, 1, 1] to [C], axes attribute (opset 11)', op: 'Squeeze', opset: 11, input: [2, 5, 5], nodes: squeezeAfterPool(11, [2, 3]), inits: { w: rand(4, 2, 3, 3), b: rand(4) } },
  { name: 'Squeeze [C, 1, 1] to [C], axes input (opset 13)', op: 'Squeeze', opset: 13, input: [2, 5, 5], nodes: squeezeAfterPool(13, [-1, -2]), inits: { w: rand(4, 2, 3, 3), b: rand(4), axes: ints([-1, -2]) } },
  { name: 'Squeeze without axes (conv(x).squeeze())', op: 'Squeeze', opset: 13, input: [2, 5, 5], nodes: squeezeAfterPool(13, undefined), inits: { w: rand(4, 2, 3, 3), b: rand(4) } },
  { name: 'Squeeze to a [C, 1] shape (a Reshape)', op: 'Squeeze', opset: 13, input: [2, 5, 5], nodes: squeezeAfterPool(13, [3]), inits: { w: rand(4, 2, 3, 3), b: rand(4), axes: ints([3]) } },
  {
    name: 'Squeeze [C, 1, L] to [C, L] before a 1-D Conv (opset 11)', op: 'Squeeze', opset: 11, input: [2, 1, 8],
    nodes: [{ op: 'Conv', in: ['x', 'w2'], out: 'h', attrs: { kernel_shape: A.ints([1, 3]) } }, { op: 'Squeeze', in: ['h'], out: 's', attrs: { axes: A.ints([2]) } }, { op: 'Conv', in: ['s', 'w1'], out: 'y' }],
    inits: { w2: rand(3, 2, 1, 3), w1: rand(2, 3, 3) },
  },
  {
    name: 'Unsqueeze [C, L] to [C, 1, L] before a 2-D Conv', op: 'Unsqueeze', opset: 13, input: [2, 8],
    nodes: [{ op: 'Relu', in: ['x'], out: 'r' }, { op: 'Unsqueeze', in: ['r', 'axes'], out: 'u' }, { op: 'Conv', in: ['u', 'w2'], out: 'y' }], inits: { axes: ints([2]), w2: rand(3, 2, 1, 3) },
  },
  { name: 'Unsqueeze the graph input [C] to [C, 1, 1] (opset 11)', op: 'Unsqueeze', opset: 11, input: [3], nodes: unsqueezeInput(11), inits: { w1: rand(4, 3, 1, 1), b: rand(4) } },
  { name: 'Unsqueeze the graph input [C] to [C, 1, 1] (opset 13)', op: 'Unsqueeze', opset: 13, input: [3], nodes: unsqueezeInput(13), inits: { w1: rand(4, 3, 1, 1), b: rand(4), axes: ints([2, 3]) } },
  {
    name: 'Unsqueeze of a computed tensor (a Reshape)', op: 'Unsqueeze', opset: 13, input: [3],
    nodes: [{ op: 'Relu', in: ['x'], out: 'r' }, { op: 'Unsqueeze', in: ['r', 'axes'], out: 'y' }], inits: { axes: ints([2, 3]) },
  },
  {
    name: 'Unsqueeze axes attribute from opset 13 is malformed', op: 'Unsqueeze', opset: 13, input: [3],
    nodes: [{ op: 'Unsqueeze', in: ['x', 'axes'], out: 'img', attrs: { axes: A.ints([2, 3]) } }, { op: 'Conv', in: ['img', 'w1'], out: 'y' }], inits: { w1: rand(4, 3, 1, 1), axes: ints([2, 3]) },
    expectRefusal: /'axes' is not an attribute of Unsqueeze/, invalidOnnx: true,
  },
  // Concat of computed tensors: each input placed in its slice by an IndexMap, the slices summed.
  {
    name: 'Concat of the input and a Relu of it along the features', op: 'Concat', opset: 13, input: [4],
    nodes: [{ op: 'Relu', in: ['x'], out: 'r' }, { op: 'Concat', in: ['x', 'r'], out: 'y', attrs: { axis: A.int(1) } }],
  },
  {
    name: 'Concat of two convolutions along the channels (Inception), then Relu', op: 'Concat', opset: 11, input: [2, 6, 6],
    nodes: [conv3('x', 'a', { pads: A.ints([1, 1, 1, 1]) }), { op: 'Conv', in: ['x', 'w1'], out: 'c' }, { op: 'Concat', in: ['a', 'c'], out: 'cat', attrs: { axis: A.int(1) } }, { op: 'Relu', in: ['cat'], out: 'y' }],
    inits: { w: rand(3, 2, 3, 3), b: rand(3), w1: rand(2, 2, 1, 1) },
  },
  {
    name: 'Concat of three inputs with axis -3, one of them the graph input (DenseNet)', op: 'Concat', opset: 17, input: [2, 5, 5],
    nodes: [conv3('x', 'a', { pads: A.ints([1, 1, 1, 1]) }), { op: 'Relu', in: ['a'], out: 'r' }, { op: 'Concat', in: ['x', 'r', 'a'], out: 'y', attrs: { axis: A.int(-3) } }],
    inits: { w: rand(3, 2, 3, 3), b: rand(3) },
  },
  {
    name: 'Concat along H, then a Conv', op: 'Concat', opset: 13, input: [2, 4, 5],
    nodes: [{ op: 'Relu', in: ['x'], out: 'r' }, { op: 'Concat', in: ['r', 'x'], out: 'cat', attrs: { axis: A.int(2) } }, conv3('cat', 'y')],
    inits: { w: rand(3, 2, 3, 3), b: rand(3) },
  },
  {
    name: 'Concat of a computed tensor with a constant is refused', op: 'Concat', opset: 13, input: [4],
    nodes: [{ op: 'Concat', in: ['x', 'k'], out: 'y', attrs: { axis: A.int(1) } }], inits: { k: rand(1, 2) }, expectRefusal: /Concat of a computed tensor with the constant 'k' is not supported/,
  },
  // Transpose of computed tensors: an IndexMap (folded into the next layer's weights on lowering).
  { name: 'Transpose [0, 2, 3, 1] of a computed tensor (NHWC)', op: 'Transpose', opset: 13, input: [3, 4, 5], attributes: { perm: A.ints([0, 2, 3, 1]) } },
  {
    name: 'Transpose to NHWC, flatten and Gemm (a TF-style head)', op: 'Transpose', opset: 11, input: [2, 5, 5],
    nodes: [conv3('x', 'h'), { op: 'Transpose', in: ['h'], out: 't', attrs: { perm: A.ints([0, 2, 3, 1]) } }, { op: 'Reshape', in: ['t', 'flat'], out: 'f' }, { op: 'Gemm', in: ['f', 'fc', 'fb'], out: 'y', attrs: { transB: A.int(1) } }],
    inits: { w: rand(4, 2, 3, 3), b: rand(4), flat: ints([-1, 36]), fc: rand(5, 36), fb: rand(5) },
  },
  {
    name: 'Transpose (2, 3) of a convolution, then a Conv', op: 'Transpose', opset: 21, input: [2, 6, 5],
    nodes: [conv3('x', 'h'), { op: 'Transpose', in: ['h'], out: 't', attrs: { perm: A.ints([0, 1, 3, 2]) } }, { op: 'Conv', in: ['t', 'w2'], out: 'y' }],
    inits: { w: rand(3, 2, 3, 3), b: rand(3), w2: rand(2, 3, 2, 2) },
  },
  { name: 'Transpose [T, F] to [F, T] (audio features before a 1-D Conv)', op: 'Transpose', opset: 13, input: [7, 3], nodes: [{ op: 'Transpose', in: ['x'], out: 't', attrs: { perm: A.ints([0, 2, 1]) } }, { op: 'Conv', in: ['t', 'w'], out: 'y' }], inits: { w: rand(4, 3, 3) } },
  { name: 'Transpose that moves the batch is refused', op: 'Transpose', opset: 13, input: [3, 4], expectRefusal: /perm \[2,1,0\] moves the batch axis/ },
  // Gather of computed tensors with constant indices: an IndexMap.
  {
    name: 'Gather channels [2, 0, 2] of a convolution', op: 'Gather', opset: 13, input: [2, 5, 5],
    nodes: [conv3('x', 'h'), { op: 'Gather', in: ['h', 'idx'], out: 'y', attrs: { axis: A.int(1) } }], inits: { w: rand(3, 2, 3, 3), b: rand(3), idx: ints([2, 0, 2]) },
  },
  { name: 'Gather one column (a scalar index drops the axis)', op: 'Gather', opset: 11, input: [2, 3, 4], consts: [ints([-1], [])], attributes: { axis: A.int(3) } },
  { name: 'Cast of a computed value to float', op: 'Cast', opset: 13, input: [5], attributes: { to: A.int(1) } },
  { name: 'Cast with saturate (opset 19)', op: 'Cast', opset: 19, input: [5], attributes: { to: A.int(1), saturate: A.int(1) } },
  {
    name: 'Cast of a float64 initializer to float', op: 'Cast', opset: 13, input: [4],
    nodes: [{ op: 'Cast', in: ['w64'], out: 'w', attrs: { to: A.int(1) } }, { op: 'MatMul', in: ['x', 'w'], out: 'y' }], inits: { w64: { dims: [4, 3], type: 'float64' } },
  },
  {
    name: 'Cast of a computed value to int64 is refused', op: 'Cast', opset: 13, input: [5],
    nodes: [{ op: 'Cast', in: ['x'], out: 'i', attrs: { to: A.int(7) } }, { op: 'Cast', in: ['i'], out: 'y', attrs: { to: A.int(1) } }],
    expectRefusal: /casting computed values to a non-float type is not supported/,
  },
  {
    name: 'Constant nodes (tensor, value_float, value_ints)', op: 'Constant', opset: 13, input: [3],
    nodes: [
      { op: 'Constant', in: [], out: 'w', attrs: { value: A.tensor({ dims: [3, 2], dataType: 1, floatData: [0.5, -1, 2, 0.25, -0.75, 1.5] }) } },
      { op: 'Constant', in: [], out: 'k', attrs: { value_float: A.float(0.5) } },
      { op: 'Constant', in: [], out: 'shape', attrs: { value_ints: A.ints([-1, 2]) } },
      { op: 'MatMul', in: ['x', 'w'], out: 'h' }, { op: 'Mul', in: ['h', 'k'], out: 'hk' }, { op: 'Reshape', in: ['hk', 'shape'], out: 'y' },
    ],
  },
  {
    name: 'Constant with a tensor value (opset 11)', op: 'Constant', opset: 11, input: [2],
    nodes: [{ op: 'Constant', in: [], out: 'w', attrs: { value: A.tensor({ dims: [2, 2], dataType: 1, floatData: [1, -2, 0.5, 3] }) } }, { op: 'MatMul', in: ['x', 'w'], out: 'y' }],
  },
  {
    name: 'Range making Unsqueeze axes', op: 'Range', opset: 13, input: [3],
    nodes: [{ op: 'Range', in: ['start', 'limit', 'delta'], out: 'axes' }, { op: 'Unsqueeze', in: ['x', 'axes'], out: 'img' }, { op: 'Conv', in: ['img', 'w1', 'b'], out: 'y' }],
    inits: { w1: rand(4, 3, 1, 1), b: rand(4), start: ints([2], []), limit: ints([4], []), delta: ints([1], []) },
  },
  {
    name: 'Range feeding ReduceMean axes (opset 18)', op: 'Range', opset: 18, input: [2, 5, 5],
    nodes: [conv3('x', 'h'), { op: 'Range', in: ['start', 'limit', 'delta'], out: 'axes' }, { op: 'ReduceMean', in: ['h', 'axes'], out: 'y', attrs: { keepdims: A.int(0) } }],
    inits: { w: rand(3, 2, 3, 3), b: rand(3), start: ints([2], []), limit: ints([4], []), delta: ints([1], []) },
  },
  {
    name: 'ConstantOfShape (float value) as a bias', op: 'ConstantOfShape', opset: 13, input: [4],
    nodes: [{ op: 'ConstantOfShape', in: ['n'], out: 'c', attrs: { value: A.tensor({ dims: [1], dataType: 1, floatData: [0.25] }) } }, { op: 'Add', in: ['x', 'c'], out: 'y' }],
    inits: { n: ints([4]) },
  },
  { name: 'Identity', op: 'Identity', opset: 13, input: [2, 3] },
  { name: 'Dropout with a ratio attribute (opset 11, dropped)', op: 'Dropout', opset: 11, input: [5], attributes: { ratio: A.float(0.3) } },
  { name: 'Dropout with a ratio input (opset 13, dropped)', op: 'Dropout', opset: 13, input: [5], consts: [floats([0.3], [])] },

  // ---- final Softmax / LogSoftmax ----
  { name: 'Softmax, default axis 1 (opset 11)', op: 'Softmax', opset: 11, input: [6] },
  { name: 'Softmax, default axis -1 (opset 13)', op: 'Softmax', opset: 13, input: [6] },
  { name: 'LogSoftmax axis 1 (opset 12)', op: 'LogSoftmax', opset: 12, input: [6], attributes: { axis: A.int(1) } },
  { name: 'LogSoftmax, default axis (opset 18)', op: 'LogSoftmax', opset: 18, input: [6] },
  {
    name: 'Softmax that is not the last op is refused', op: 'Softmax', opset: 13, input: [6],
    nodes: [{ op: 'Softmax', in: ['x'], out: 's' }, { op: 'Relu', in: ['s'], out: 'y' }], expectRefusal: /Softmax is only supported as the last op/,
  },

  // ---- ReduceMean / ReduceSum over H, W (axes: attribute → input at 18 / 13) ----
  { name: 'ReduceMean axes [2, 3] attribute, keepdims 1 (opset 13)', op: 'ReduceMean', opset: 13, input: [2, 5, 4], ...reduce('ReduceMean', 13, [2, 3], undefined, false) },
  { name: 'ReduceMean axes [-2, -1] attribute, keepdims 0 (opset 17)', op: 'ReduceMean', opset: 17, input: [2, 5, 4], ...reduce('ReduceMean', 17, [-2, -1], 0, false) },
  { name: 'ReduceMean axes input, keepdims 0 (opset 18)', op: 'ReduceMean', opset: 18, input: [2, 5, 4], ...reduce('ReduceMean', 18, [2, 3], 0, true) },
  { name: 'ReduceMean axes input, keepdims 1 (opset 21)', op: 'ReduceMean', opset: 21, input: [2, 5, 4], ...reduce('ReduceMean', 21, [3, 2], 1, true) },
  { name: 'ReduceMean axes attribute from opset 18 is malformed', op: 'ReduceMean', opset: 18, input: [2, 5, 4], ...reduce('ReduceMean', 18, [2, 3], 0, false), expectRefusal: /'axes' is not an attribute of ReduceMean/, invalidOnnx: true },
  { name: 'ReduceMean over the channels is refused', op: 'ReduceMean', opset: 13, input: [2, 5, 4], ...reduce('ReduceMean', 13, [1], 1, false), expectRefusal: /only over the spatial axes \[2, 3\]/ },
  { name: 'ReduceSum axes [2, 3] attribute, keepdims 0 (opset 11)', op: 'ReduceSum', opset: 11, input: [2, 5, 4], ...reduce('ReduceSum', 11, [2, 3], 0, false) },
  { name: 'ReduceSum axes attribute, keepdims 1 (opset 12)', op: 'ReduceSum', opset: 12, input: [2, 5, 4], ...reduce('ReduceSum', 12, [2, 3], 1, false) },
  { name: 'ReduceSum axes input, keepdims 0 (opset 13)', op: 'ReduceSum', opset: 13, input: [2, 5, 4], ...reduce('ReduceSum', 13, [2, 3], 0, true) },
  { name: 'ReduceSum axes input, keepdims 1 (opset 18)', op: 'ReduceSum', opset: 18, input: [2, 5, 4], ...reduce('ReduceSum', 18, [-1, -2], undefined, true) },
  { name: 'ReduceSum without axes and noop_with_empty_axes=1 is the identity', op: 'ReduceSum', opset: 13, input: [2, 3, 3], attributes: { noop_with_empty_axes: A.int(1) } },
  { name: 'ReduceSum over every axis is refused', op: 'ReduceSum', opset: 13, input: [2, 3, 3], expectRefusal: /ReduceSum over every axis .* is not supported/ },

  // ---- refused: no exact spiking equivalent (issue 21), not supported yet ----
  refused('Tanh', 13, NO_RATE_CODE),
  refused('Sigmoid', 13, NO_RATE_CODE),
  refused('LeakyRelu', 13, NO_RATE_CODE, { attributes: { alpha: A.float(0.1) } }),
  refused('PRelu', 13, NO_RATE_CODE, { consts: [rand(4)] }),
  refused('Elu', 13, NO_RATE_CODE),
  refused('Selu', 13, NO_RATE_CODE),
  refused('Celu', 13, NO_RATE_CODE),
  refused('Erf', 13, NO_RATE_CODE),
  refused('Gelu', 20, NO_RATE_CODE),
  refused('Softplus', 13, NO_RATE_CODE),
  refused('Mish', 18, NO_RATE_CODE),
  refused('HardSwish', 14, NO_RATE_CODE),
  refused('LSTM', 13, /LSTM has no exact spiking equivalent.*non-negative rate code.*snnc train/, { input: [2, 3], consts: [rand(1, 16, 3), rand(1, 16, 4)], attributes: { hidden_size: A.int(4) } }),
  refused('GRU', 13, /GRU has no exact spiking equivalent.*snnc train/, { input: [2, 3], consts: [rand(1, 12, 3), rand(1, 12, 4)], attributes: { hidden_size: A.int(4) } }),
  refused('RNN', 13, /RNN has no exact spiking equivalent.*snnc train/, { input: [2, 3], consts: [rand(1, 4, 3), rand(1, 4, 4)], attributes: { hidden_size: A.int(4) } }),
]

/** `nn.Upsample` and `F.interpolate(mode='nearest')` as exporters write them: Resize in nearest mode, an IndexMap. */
const RESIZE_CASES: OpCase[] = [
  { name: 'Resize nearest scales [1, 1, 2, 2], asymmetric floor (nn.Upsample, opset 11)', op: 'Resize', opset: 11, input: [2, 3, 4], attributes: { coordinate_transformation_mode: A.string('asymmetric'), nearest_mode: A.string('floor') }, consts: [floats([], [0]), floats([1, 1, 2, 2])] },
  { name: 'Resize nearest scales [1, 1, 2, 2], roi omitted (opset 13)', op: 'Resize', opset: 13, input: [2, 3, 3], attributes: { coordinate_transformation_mode: A.string('asymmetric'), nearest_mode: A.string('floor') }, consts: [null, floats([1, 1, 2, 2])] },
  { name: 'Resize nearest, defaults (half_pixel, round_prefer_floor), scale 1.5 × 3', op: 'Resize', opset: 13, input: [2, 4, 3], consts: [null, floats([1, 1, 1.5, 3])] },
  { name: 'Resize nearest, pytorch_half_pixel, round_prefer_ceil, downsampling 0.5', op: 'Resize', opset: 17, input: [2, 6, 5], attributes: { coordinate_transformation_mode: A.string('pytorch_half_pixel'), nearest_mode: A.string('round_prefer_ceil') }, consts: [null, floats([1, 1, 0.5, 0.6])] },
  { name: 'Resize nearest, align_corners, ceil', op: 'Resize', opset: 13, input: [2, 3, 4], attributes: { coordinate_transformation_mode: A.string('align_corners'), nearest_mode: A.string('ceil') }, consts: [null, floats([1, 1, 2.5, 1.75])] },
  {
    name: 'Resize nearest to sizes from a Shape/Slice/Concat chain (F.interpolate(size=...))', op: 'Resize', opset: 11, input: [2, 3, 3],
    nodes: [
      { op: 'Shape', in: ['x'], out: 's' }, { op: 'Slice', in: ['s', 'zero', 'two'], out: 'nc' }, { op: 'Concat', in: ['nc', 'hw'], out: 'sizes', attrs: { axis: A.int(0) } },
      { op: 'Resize', in: ['x', 'roi', 'noscales', 'sizes'], out: 'y', attrs: { nearest_mode: A.string('floor') } },
    ],
    inits: { zero: ints([0]), two: ints([2]), hw: ints([5, 7]), roi: floats([], [0]), noscales: floats([], [0]) },
  },
  { name: 'Resize nearest with axes [2, 3] and sizes (opset 18)', op: 'Resize', opset: 18, input: [2, 3, 3], attributes: { axes: A.ints([2, 3]) }, consts: [null, null, ints([6, 4])] },
  { name: 'Resize nearest with negative axes and sizes (opset 19)', op: 'Resize', opset: 19, input: [2, 4, 3], attributes: { axes: A.ints([-1, -2]) }, consts: [null, null, ints([5, 6])] },
  { name: 'Resize nearest half_pixel_symmetric (opset 19)', op: 'Resize', opset: 19, input: [2, 3, 4], attributes: { coordinate_transformation_mode: A.string('half_pixel_symmetric') }, consts: [null, floats([1, 1, 1.7, 2])] },
  { name: 'Resize nearest over [C, L] (1-D upsampling, opset 21)', op: 'Resize', opset: 21, input: [3, 5], attributes: { coordinate_transformation_mode: A.string('asymmetric'), nearest_mode: A.string('floor') }, consts: [null, floats([1, 1, 3])] },
  refused('Resize', 13, /Resize mode 'linear' is not supported: it weighs several neighbouring inputs/, { input: [2, 3, 3], consts: [null, floats([1, 1, 2, 2])], attributes: { mode: A.string('linear') } }),
];

export const OP_CASES: OpCase[] = [...BASE_CASES, ...RESIZE_CASES];
