import { READ_LIMITS, readRegularFile } from '../util/safe-read.js';
import { checkModelBudget } from '../onnx/budget.js';
import * as ort from 'onnxruntime-node';
import { onnx } from '../onnx/proto.js';
import { UserError } from '../util/errors.js';

/** A teacher ONNX file that cannot be used: names the file and the fault. */
export class TeacherError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'TeacherError';
  }
}

/** A frozen ANN teacher run by onnxruntime-node, with some intermediate tensors exposed as extra outputs. */
export interface FrozenTeacher {
  path: string;
  session: ort.InferenceSession;
  inputName: string;
  logitsName: string;
  /** Intermediate tensors exposed for feature KD, with their per-sample shapes `[C, H, W]`. */
  features: { name: string; shape: number[] }[];
  /** Per-sample input shape `[C, H, W]` the teacher declares (dynamic dims resolved from the data). */
  close(): Promise<void>;
}

/** What the teacher says about a batch: logits `[B, K]` and feature maps `[B, C, H, W]` (NCHW). */
export interface TeacherBatch { logits: Float32Array; classes: number; features: Map<string, Float32Array> }

function decodeModel(path: string): ReturnType<typeof onnx.ModelProto.decode> {
  const bytes = readRegularFile(path, { what: 'teacher', maxBytes: READ_LIMITS.onnx, error: (m) => new TeacherError(m) });
  let model: ReturnType<typeof onnx.ModelProto.decode>;
  try {
    model = onnx.ModelProto.decode(bytes);
    if (!model.graph || !model.graph.node?.length) throw new Error('the file holds no graph');
  } catch (e) {
    throw new TeacherError(`teacher '${path}' is not a valid ONNX model: ${(e as Error).message}`);
  }
  checkModelBudget(model, `teacher '${path}'`);
  return model;
}

/** Outputs of ReLU-like activations in a teacher (candidates for feature KD), in graph order. */
function activationTensors(model: ReturnType<typeof onnx.ModelProto.decode>): string[] {
  const ops = new Set(['Relu', 'Clip', 'LeakyRelu', 'Sigmoid', 'MaxPool', 'AveragePool']);
  return (model.graph!.node ?? []).filter((n) => ops.has(n.opType ?? '')).map((n) => n.output![0]).filter(Boolean);
}

/**
 * Opens a teacher. `featureTensors` names intermediate tensors to expose ('auto': the deepest 4-D
 * activation, i.e. the last feature map before the classifier; []: none). The ModelProto's graph outputs
 * are extended with those tensors before the session is created, so one run returns logits and features.
 */
export async function openTeacher(path: string, inputShape: number[], featureTensors: string[] | 'auto' = []): Promise<FrozenTeacher> {
  const model = decodeModel(path);
  const graph = model.graph!;
  const initNames = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = (graph.input ?? []).filter((i) => !initNames.has(i.name));
  if (inputs.length !== 1) throw new TeacherError(`teacher '${path}' must have exactly one data input, it has ${inputs.length}`);
  if ((graph.output ?? []).length < 1) throw new TeacherError(`teacher '${path}' has no output`);
  const inputName = inputs[0].name!;
  const logitsName = graph.output![0].name!;
  const known = new Set<string>((graph.node ?? []).flatMap((n) => n.output ?? []));

  const expose = async (names: string[]) => {
    const copy = onnx.ModelProto.decode(onnx.ModelProto.encode(model).finish());
    const existing = new Set(copy.graph!.output!.map((o) => o.name));
    for (const n of names) {
      if (!existing.has(n)) copy.graph!.output!.push(onnx.ValueInfoProto.create({ name: n, type: { tensorType: { elemType: 1 } } }));
    }
    try {
      return await ort.InferenceSession.create(onnx.ModelProto.encode(copy).finish(), {
        graphOptimizationLevel: 'all',
        // One thread, no spin-waiting: the trainer itself keeps a core busy, and spinning pool threads would
        // steal it between the small per-batch runs.
        intraOpNumThreads: 1, interOpNumThreads: 1,
        extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
      });
    } catch (e) {
      throw new TeacherError(`onnxruntime cannot load teacher '${path}': ${(e as Error).message.split('\n')[0]}`);
    }
  };

  let chosen: string[];
  if (featureTensors === 'auto') {
    const candidates = activationTensors(model);
    const probe = await expose(candidates);
    const shapes = await probeShapes(probe, inputName, inputShape, candidates);
    await probe.release();
    const fourD = candidates.filter((c) => shapes.get(c)?.length === 3);
    // The deepest ReLU map (rather than the pooled one after it) keeps the most spatial detail.
    const relus = fourD.filter((c) => (graph.node ?? []).some((n) => n.opType === 'Relu' && n.output?.[0] === c));
    const pick = (relus.length ? relus : fourD).at(-1);
    if (!pick) throw new TeacherError(`teacher '${path}' has no 4-D activation to distil features from; name one with --teacher-features`);
    chosen = [pick];
  } else {
    for (const n of featureTensors) {
      if (!known.has(n)) throw new TeacherError(`teacher '${path}' has no tensor '${n}' (node outputs: ${[...known].slice(0, 12).join(', ')}${known.size > 12 ? ', …' : ''})`);
    }
    chosen = featureTensors;
  }
  const session = await expose(chosen);
  const shapes = await probeShapes(session, inputName, inputShape, [logitsName, ...chosen]);
  const logitShape = shapes.get(logitsName)!;
  if (logitShape.length !== 1) throw new TeacherError(`teacher '${path}' output '${logitsName}' is not a vector of class scores (per-sample shape [${logitShape}])`);
  const features = chosen.map((name) => {
    const s = shapes.get(name)!;
    if (s.length !== 3) throw new TeacherError(`teacher tensor '${name}' has per-sample shape [${s}]; feature KD needs a [C, H, W] map`);
    return { name, shape: s };
  });
  return { path, session, inputName, logitsName, features, close: () => session.release() };
}

async function probeShapes(session: ort.InferenceSession, inputName: string, inputShape: number[], names: string[]): Promise<Map<string, number[]>> {
  const size = inputShape.reduce((a, b) => a * b, 1);
  let out: ort.InferenceSession.OnnxValueMapType;
  try {
    out = await session.run({ [inputName]: new ort.Tensor('float32', new Float32Array(size), [1, ...inputShape]) }, names);
  } catch (e) {
    throw new TeacherError(`the teacher does not accept inputs of shape [1, ${inputShape}]: ${(e as Error).message.split('\n')[0]}`);
  }
  return new Map(names.map((n) => [n, [...(out[n] as ort.Tensor).dims].slice(1).map(Number)]));
}

/** Runs the teacher on `count` samples (NCHW, flat), in batches: logits and the exposed feature maps. */
export async function runTeacher(t: FrozenTeacher, images: Float32Array, count: number, sampleShape: number[], batch = 256): Promise<TeacherBatch> {
  const size = sampleShape.reduce((a, b) => a * b, 1);
  let logits: Float32Array | undefined;
  let classes = 0;
  const features = new Map<string, Float32Array>();
  for (const f of t.features) features.set(f.name, new Float32Array(count * f.shape.reduce((a, b) => a * b, 1)));
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    const x = new ort.Tensor('float32', images.subarray(start * size, (start + n) * size), [n, ...sampleShape]);
    const out = await t.session.run({ [t.inputName]: x }, [t.logitsName, ...t.features.map((f) => f.name)]);
    const l = out[t.logitsName].data as Float32Array;
    if (!logits) { classes = l.length / n; logits = new Float32Array(count * classes); }
    logits.set(l, start * classes);
    for (const f of t.features) {
      const d = out[f.name].data as Float32Array;
      features.get(f.name)!.set(d, start * (d.length / n));
    }
  }
  return { logits: logits ?? new Float32Array(0), classes, features };
}
