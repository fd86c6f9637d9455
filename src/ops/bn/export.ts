// Batch norm in exports: ONNX BatchNormalization (or nothing, when --fold-bn folds it into its
// convolution), and a torch BatchNorm2d with PyTorch's names for the four tensors.

import type { ExportOp } from '../../export/op.js';
import { float, tensorOf } from '../../export/onnx-writer.js';
import { BN_EPS } from '../../ir/graph.js';
import type { BatchNormNode } from './graph.js';

/** hrn's batch-norm tensor roles and PyTorch's names for them. */
const TORCH_ROLES: Record<string, string> = { gamma: 'weight', beta: 'bias', running_mean: 'running_mean', running_var: 'running_var' };

export const bnExport: ExportOp<BatchNormNode> = {
  onnx(n, { w, x: [x], weights, value, foldedInto }) {
    const conv = foldedInto(n.id);
    if (conv !== undefined) return value(conv);
    const p = (role: string) => w.weight(`${n.name}.${role}`, tensorOf(weights, `${n.name}.${role}`));
    return w.node('BatchNormalization', [x, p('gamma'), p('beta'), p('running_mean'), p('running_var')], n.name, [float('epsilon', BN_EPS)]);
  },
  torch(n, { module, tensor, put }) {
    for (const [role, torchRole] of Object.entries(TORCH_ROLES)) put(`${module}.${torchRole}`, tensor(`${n.name}.${role}`));
    // PyTorch keeps a step counter as a buffer; inference never reads it.
    put(`${module}.num_batches_tracked`, { shape: [], data: new Float32Array(1) });
    return { module, channels: n.shape.c, eps: BN_EPS };
  },
};
