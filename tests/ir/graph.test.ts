import { describe, expect, it } from 'vitest';
import { buildGraph, tensor, GraphError, type IRNode } from '../../src/ir/graph.js';
import { loadMnist } from '../../src/data/mnist.js';

describe('graph construction', () => {
  it('infers shapes through conv, pool, flatten and affine', () => {
    const g = buildGraph(
      [
        ['in', { kind: 'Input', shape: [1, 28, 28] }],
        ['c1', { kind: 'Conv2d', weight: tensor([4, 1, 3, 3]), stride: [1, 1], padding: [1, 1, 1, 1], dilation: [1, 1], groups: 1 }],
        ['r1', { kind: 'ReLU' }],
        ['p1', { kind: 'AvgPool2d', kernel: [2, 2], stride: [2, 2], padding: [0, 0, 0, 0] }],
        ['f', { kind: 'Flatten' }],
        ['fc', { kind: 'Affine', weight: tensor([10, 4 * 14 * 14]), bias: tensor([10]) }],
        ['out', { kind: 'Output' }],
      ] as [string, IRNode][],
      [['in', 'c1'], ['c1', 'r1'], ['r1', 'p1'], ['p1', 'f'], ['f', 'fc'], ['fc', 'out']],
      { name: 't' },
    );
    expect(g.shapes.get('p1')!.output).toEqual([4, 14, 14]);
    expect(g.shapes.get('fc')!.output).toEqual([10]);
    expect(g.order[0]).toBe('in');
  });

  it('refuses cycles, dangling nodes and mismatched weights with the node named', () => {
    const nodes: [string, IRNode][] = [
      ['in', { kind: 'Input', shape: [4] }],
      ['a', { kind: 'ReLU' }],
      ['b', { kind: 'ReLU' }],
      ['out', { kind: 'Output' }],
    ];
    expect(() => buildGraph(nodes, [['in', 'a'], ['a', 'b'], ['b', 'a'], ['b', 'out']], { name: 'c' })).toThrow(/cycle/);
    expect(() => buildGraph(nodes, [['in', 'a'], ['a', 'out']], { name: 'd' })).toThrow(GraphError);
    expect(() =>
      buildGraph([['in', { kind: 'Input', shape: [4] }], ['fc', { kind: 'Affine', weight: tensor([2, 5]), bias: tensor([2]) }], ['out', { kind: 'Output' }]],
        [['in', 'fc'], ['fc', 'out']], { name: 'e' }),
    ).toThrow(/node 'fc'.*5/);
  });
});

describe('embedded mnist', () => {
  it('has a fixed, balanced split of the 10,000 real digits', () => {
    const train = loadMnist('train');
    const test = loadMnist('test');
    expect(train.count + test.count).toBe(10000);
    expect(test.count).toBe(1996);
    expect(Array.from(test.labels.slice(0, 10))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const px = test.images.slice(0, 784);
    expect(Math.max(...px)).toBeLessThanOrEqual(1);
    expect(px.filter((v) => v > 0.5).length).toBeGreaterThan(50);
  });
});
