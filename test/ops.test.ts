// The ops' folders (src/ops/<op>/): each defines its op once, one file per layer, and the tables
// that src/ops/ hands the layers (the test setup imports src/ops/index.ts and reference.ts) agree
// with what the folders say.

import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasOpKernels, opKernels } from '../src/codegen/op-kernels.js';
import { hasStepKernels } from '../src/codegen/step-op.js';
import { exportOp } from '../src/export/op.js';
import { graphOp, type GraphNode } from '../src/ir/node.js';
import { referenceOp } from '../src/reference/op.js';
import { OpTable } from '../src/util/op-table.js';

const OPS = resolve(import.meta.dirname, '..', 'src', 'ops');
const folders = readdirSync(OPS, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
const asNode = (op: string) => ({ op }) as GraphNode;

describe('ops', () => {
  it('has a folder for each op of the layer graph, and each folder is in every table', () => {
    expect(folders).toContain('conv');
    for (const op of folders) {
      expect(graphOp(asNode(op)), op).toBeDefined();
      expect(referenceOp(asNode(op)), op).toBeDefined();
      expect(exportOp(asNode(op)), op).toBeDefined();
    }
  });

  it('holds in each folder only the files of the layers that define an op', () => {
    for (const op of folders) {
      const files = readdirSync(join(OPS, op)).sort();
      // Ops that are steps of their own have kernels, and so have the fused ops (the conv, with its
      // generators in a folder beside its table); the placed ops have none.
      const own = graphOp(asNode(op)).fusion === 'own';
      const kernels = op === 'conv' ? ['kernels', 'kernels.ts'] : own || hasOpKernels(op) ? ['kernels.ts'] : [];
      expect(files, op).toEqual(['export.ts', 'graph.ts', ...kernels, 'reference.ts']);
    }
  });

  it('hands codegen the kernels of every fused op: the conv and each op of an elementwise chain', () => {
    const fused = folders.filter((op) => hasOpKernels(op));
    expect(fused).toEqual(folders.filter((op) => ['conv', 'chain'].includes(graphOp(asNode(op)).fusion)));
    expect(fused).toEqual(['add', 'bn', 'conv', 'relu']);
    expect(Object.keys(opKernels('conv')).sort()).toEqual(['biasGradient', 'forward', 'inputGradient', 'weightGradient', 'weightGradientSum']);
    // What each chain op brings: its parts in the chain's kernels, and besides, a batch norm its
    // scale and shift and its statistics' dispatches, a ReLU its SNL mask and the mask's gradient.
    expect(Object.keys(opKernels('bn')).sort()).toEqual(['backwardReadsInput', 'chainPlace', 'forwardPart', 'inferenceBuffers', 'trainBackward', 'trainBuffers', 'trainForward']);
    expect(Object.keys(opKernels('relu')).sort()).toEqual(['backwardReadsInput', 'backwardReadsOutput', 'chainPlace', 'forwardPart', 'inferenceBuffers', 'trainBackward', 'trainBuffers']);
    expect(Object.keys(opKernels('add')).sort()).toEqual(['chainPlace', 'forwardPart', 'trainBackward']);
  });

  it('has the WGSL of each elementwise chain op in its parts file, kernels/chain/<op>.wgsl, with the four sections the chain kernels take', () => {
    const chainOps = folders.filter((op) => graphOp(asNode(op)).fusion === 'chain');
    const files = readdirSync(resolve(OPS, '..', '..', 'kernels', 'chain')).sort();
    expect(files).toEqual(chainOps.map((op) => `${op}.wgsl`));
    for (const op of chainOps) {
      const text = readFileSync(resolve(OPS, '..', '..', 'kernels', 'chain', `${op}.wgsl`), 'utf8');
      expect([...text.matchAll(/^\/\/#section (\w+)$/gm)].map((m) => m[1]), op).toEqual(['fwd_run', 'fwd_element', 'bwd_run', 'bwd_element']);
    }
  });

  it('gives kernels of their own to exactly the ops whose fusion role says so', () => {
    for (const op of folders) expect(hasStepKernels(asNode(op)), op).toBe(graphOp(asNode(op)).fusion === 'own');
  });

  it('says what a program forgot when a layer looks an op up before the ops are handed over, or an op it lacks', () => {
    const table = new OpTable<string>('export', 'exports');
    expect(() => table.get('conv')).toThrow("the ops' exports are not registered: the program must import src/ops/index.ts first");
    table.define({ conv: 'the conv export' });
    expect(table.get('conv')).toBe('the conv export');
    expect(() => table.get('pool')).toThrow('op pool has no export (src/ops/pool/)');
  });
});
