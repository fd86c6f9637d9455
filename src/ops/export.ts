// The table of the ops' exports: one entry per folder of src/ops/ (see graph.ts here), which
// src/ops/index.ts hands to the exporters.

import type { ExportOp } from '../export/op.js';
import type { NodeOf, OpName } from '../ir/graph.js';
import { addExport } from './add/export.js';
import { avgpoolExport } from './avgpool/export.js';
import { bnExport } from './bn/export.js';
import { concatExport } from './concat/export.js';
import { convExport } from './conv/export.js';
import { fcExport } from './fc/export.js';
import { inputExport } from './input/export.js';
import { maxpoolExport } from './maxpool/export.js';
import { reluExport } from './relu/export.js';
import { sliceExport } from './slice/export.js';

export const EXPORT_OPS: { [K in OpName]: ExportOp<NodeOf<K>> } = {
  input: inputExport,
  conv: convExport,
  bn: bnExport,
  relu: reluExport,
  add: addExport,
  slice: sliceExport,
  concat: concatExport,
  avgpool: avgpoolExport,
  maxpool: maxpoolExport,
  fc: fcExport,
};
