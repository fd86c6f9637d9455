// The ReLU in exports. ONNX: a ReLU on a channel range only becomes Slice + Relu + Concat, so the
// Relu nodes' output elements are exactly hrn's ReLU count; an SNL-masked ReLU becomes
// x + M * (Relu(x) - x) with its trained mask M a constant (Sub, Mul, Add).

import type { ExportOp } from '../../export/op.js';
import { int, tensorOf, type OnnxGraphWriter } from '../../export/onnx-writer.js';
import type { Weights } from '../../weights/weights.js';
import { maskName } from '../../ir/graph.js';
import type { ReluNode } from './graph.js';

/** A ReLU on channels [start, end) of a C-channel value: whole, partial, or (empty range) nothing. */
function emitRelu(w: OnnxGraphWriter, n: ReluNode, x: string): string {
  const c = n.shape.c;
  if (n.start >= n.end) return x;
  if (n.start === 0 && n.end === c) return w.node('Relu', [x], n.name);
  const parts: string[] = [];
  if (n.start > 0) parts.push(w.slice(x, 0, n.start, `${n.name}.before`));
  parts.push(w.node('Relu', [w.slice(x, n.start, n.end, `${n.name}.range`)], `${n.name}.active`));
  if (n.end < c) parts.push(w.slice(x, n.end, c, `${n.name}.after`));
  return w.node('Concat', parts, n.name, [int('axis', 1)]);
}

/**
 * SNL's partial ReLU with its trained mask as a constant: y = x + M * (Relu(x) - x), where M spans
 * every channel (0 outside the ReLU's range, so those channels pass unchanged) and is [1, C, H, W]
 * for a per-pixel mask or [1, C, 1, 1] for a per-channel one (broadcast over the plane).
 */
function emitMaskedRelu(w: OnnxGraphWriter, n: ReluNode, x: string, weights: Weights): string {
  const { c, h, w: width } = n.shape;
  const mask = tensorOf(weights, maskName(n)).data;
  const plane = n.mask === 'pixel' ? h * width : 1;
  const full = new Float32Array(c * plane);
  full.set(mask, n.start * plane);
  const m = w.weight(maskName(n), { shape: [1, c, n.mask === 'pixel' ? h : 1, n.mask === 'pixel' ? width : 1], data: full });
  const relu = w.node('Relu', [x], `${n.name}.relu`);
  const diff = w.node('Sub', [relu, x], `${n.name}.gain`);
  return w.node('Add', [x, w.node('Mul', [m, diff], `${n.name}.masked`)], n.name);
}

export const reluExport: ExportOp<ReluNode> = {
  onnx: (n, { w, x: [x], weights }) => (n.mask === undefined ? emitRelu(w, n, x) : emitMaskedRelu(w, n, x, weights)),
  torch: (n, { inputs: [s] }) => ({ start: n.start, end: n.end, channels: s.c }),
};
