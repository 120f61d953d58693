import * as tf from '@tensorflow/tfjs-core';

/**
 * Gradients for the kernels the trainer differentiates through. tfjs-core's CommonJS build (the one Node
 * loads) ships no gradient registrations — they live in ESM files that Node cannot import without a
 * bundler — so the trainer registers the few it needs here, each built from forward kernels the backend
 * has. Only missing ones are registered: a full tfjs (e.g. tfjs-node) keeps its own.
 */
export function registerMissingGradients(): void {
  const add = (config: tf.GradConfig) => {
    if (!tf.getGradient(config.kernelName)) tf.registerGradient(config);
  };
  /** Sums a broadcast gradient back to the shape of the input it came from. */
  const unbroadcast = (dy: tf.Tensor, shape: number[]): tf.Tensor => {
    const axes = tf.backend_util.getReductionAxes(shape, dy.shape);
    const leading = dy.shape.length - shape.length;
    const keptSize = shape.reduce((p, d) => p * d, 1);
    const isLeadingReduction = axes.length > 0 && axes.every((a, i) => a === i) && axes.length >= leading
      && dy.shape.slice(axes.length).reduce((p, d) => p * d, 1) === keptSize;
    if (isLeadingReduction) {
      // A bias gradient (Σ over batch and space): one GEMV with a row of ones is far faster on wasm than
      // Sum over leading axes, which transposes the whole tensor first.
      const rows = dy.size / keptSize;
      return tf.reshape(tf.matMul(tf.reshape(dy, [rows, keptSize]), tf.ones([rows, 1]), true, false), shape);
    }
    const r = axes.length > 0 ? tf.sum(dy, axes) : dy;
    return tf.reshape(r, shape);
  };
  const binary = (kernelName: string, da: (dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => tf.Tensor, db: (dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => tf.Tensor) => add({
    kernelName,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved;
      return { a: () => unbroadcast(da(dy as tf.Tensor, a, b), a.shape), b: () => unbroadcast(db(dy as tf.Tensor, a, b), b.shape) };
    },
  });
  binary('Add', (dy) => dy, (dy) => dy);
  binary('Sub', (dy) => dy, (dy) => tf.neg(dy));
  binary('Multiply', (dy, _a, b) => tf.mul(dy, b), (dy, a) => tf.mul(dy, a));
  binary('RealDiv', (dy, _a, b) => tf.div(dy, b), (dy, a, b) => tf.neg(tf.div(tf.mul(dy, a), tf.square(b))));
  binary('SquaredDifference',
    (dy, a, b) => tf.mul(dy, tf.mul(tf.sub(a, b), 2)),
    (dy, a, b) => tf.mul(dy, tf.mul(tf.sub(b, a), 2)));
  add({ kernelName: 'Neg', gradFunc: (dy) => ({ x: () => tf.neg(dy as tf.Tensor) }) });
  add({ kernelName: 'Identity', gradFunc: (dy) => ({ x: () => dy as tf.Tensor }) });
  add({ kernelName: 'Cast', gradFunc: (dy) => ({ x: () => tf.clone(dy as tf.Tensor) }) });
  add({ kernelName: 'Exp', outputsToSave: [true], gradFunc: (dy, saved) => ({ x: () => tf.mul(dy as tf.Tensor, saved[0]) }) });
  add({ kernelName: 'Relu', inputsToSave: ['x'], gradFunc: (dy, saved) => ({ x: () => tf.mul(dy as tf.Tensor, tf.cast(tf.greater(saved[0], 0), 'float32')) }) });
  add({ kernelName: 'Reshape', inputsToSave: ['x'], gradFunc: (dy, saved) => ({ x: () => tf.reshape(dy as tf.Tensor, saved[0].shape) }) });
  add({
    kernelName: 'AddN',
    saveAllInputs: true,
    gradFunc: (dy, saved) => Object.fromEntries(saved.map((_, i) => [i, () => tf.clone(dy as tf.Tensor)])),
  });
  const reduceGrad = (kernelName: string, mean: boolean) => add({
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const { axis } = attrs as unknown as { axis: number | number[] };
      const axes = tf.util.parseAxisParam(axis, x.shape);
      const kept = tf.backend_util.expandShapeToKeepDim(x.shape.filter((_, i) => !axes.includes(i)), axes);
      let count = 1;
      for (const a of axes) count *= x.shape[a];
      return {
        x: () => {
          // Multiplying by ones broadcasts ~15× faster on wasm than broadcastTo (a Tile kernel).
          const g = tf.reshape(dy as tf.Tensor, kept);
          return tf.mul(mean ? tf.div(g, count) : g, tf.ones(x.shape));
        },
      };
    },
  });
  reduceGrad('Sum', false);
  reduceGrad('Mean', true);
  add({
    kernelName: 'Tile',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const { reps } = attrs as unknown as { reps: number[] };
      // Interleave (rep, size) per axis, then sum the rep axes.
      const split: number[] = [];
      const axes: number[] = [];
      x.shape.forEach((d, i) => { axes.push(split.length); split.push(reps[i], d); });
      return { x: () => tf.reshape(tf.sum(tf.reshape(dy as tf.Tensor, split), axes), x.shape) };
    },
  });
  // d√x = dy / (2√x) (logit standardisation divides by a standard deviation).
  add({ kernelName: 'Sqrt', outputsToSave: [true], gradFunc: (dy, saved) => ({ x: () => tf.div(dy as tf.Tensor, tf.mul(saved[0], 2)) }) });
  add({ kernelName: 'Square', inputsToSave: ['x'], gradFunc: (dy, saved) => ({ x: () => tf.mul(dy as tf.Tensor, tf.mul(saved[0], 2)) }) });
  add({
    kernelName: 'Concat',
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs) => {
      const { axis } = attrs as unknown as { axis: number };
      const ax = tf.util.parseAxisParam(axis, saved[0].shape)[0];
      const parts = tf.split(dy as tf.Tensor, saved.map((t) => t.shape[ax]), ax);
      return Object.fromEntries(parts.map((p, i) => [i, () => p]));
    },
  });
  add({
    kernelName: 'SplitV',
    gradFunc: (dy, _saved, attrs) => {
      const { axis } = attrs as unknown as { axis: number };
      return { x: () => tf.concat(dy as tf.Tensor[], axis) };
    },
  });
  add({
    kernelName: 'Transpose',
    gradFunc: (dy, _saved, attrs) => {
      const { perm } = attrs as unknown as { perm: number[] };
      const inverse = new Array<number>(perm.length);
      perm.forEach((p, i) => { inverse[p] = i; });
      return { x: () => tf.transpose(dy as tf.Tensor, inverse) };
    },
  });
  add({
    kernelName: 'PadV2',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const { paddings } = attrs as unknown as { paddings: [number, number][] };
      return { x: () => tf.slice(dy as tf.Tensor, paddings.map((p) => p[0]), saved[0].shape) };
    },
  });
  add({
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved as tf.Tensor2D[];
      const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
      const g = dy as tf.Tensor2D;
      if (!transposeA && !transposeB) return { a: () => tf.matMul(g, tf.transpose(b)), b: () => tf.matMul(tf.transpose(a), g) };
      if (!transposeA && transposeB) return { a: () => tf.matMul(g, b, false, false), b: () => tf.matMul(g, a, true, false) };
      if (transposeA && !transposeB) return { a: () => tf.matMul(b, g, false, true), b: () => tf.matMul(a, g, false, false) };
      return { a: () => tf.matMul(b, g, true, true), b: () => tf.matMul(g, a, true, true) };
    },
  });
  add({
    kernelName: 'MaxPool',
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => ({
      x: () => tf.engine().runKernel('MaxPoolGrad', { dy, input: saved[0], output: saved[1] } as never, attrs as never) as tf.Tensor,
    }),
  });
  add({
    kernelName: 'AvgPool',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => ({
      x: () => tf.engine().runKernel('AvgPoolGrad', { dy, input: saved[0] } as never, attrs as never) as tf.Tensor,
    }),
  });
  add({
    kernelName: 'ResizeBilinear',
    inputsToSave: ['images'],
    gradFunc: (dy, saved, attrs) => ({
      images: () => tf.engine().runKernel('ResizeBilinearGrad', { dy, images: saved[0] } as never, attrs as never) as tf.Tensor,
    }),
  });
  add({
    kernelName: 'Conv2D',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as tf.Tensor4D[];
      const a = attrs as unknown as { strides: [number, number]; pad: 'same' | 'valid'; dilations: number };
      return {
        x: () => tf.conv2dTranspose(dy as tf.Tensor4D, filter, x.shape, a.strides, a.pad),
        filter: () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy } as never, { ...a, filterShape: filter.shape } as never) as tf.Tensor,
      };
    },
  });
}
