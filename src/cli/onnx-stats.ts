// `hrn stats MODEL.onnx`: an ONNX file counted as `hrn stats` counts a network (src/onnx/,
// docs/onnx.md). An ONNX graph has no stages, so the table is per operator (per node with
// --layers); the PI cost block is the one `hrn stats` prints.

import { readFileSync, statSync } from 'node:fs';
import { UsageError, UserError } from '../errors.js';
import { formatTable, millions } from '../ir/print.js';
import { countOnnx, type OnnxStats } from '../onnx/count.js';
import type { HeConstants } from '../ir/he-constants.js';
import type { ParsedCommand } from './args.js';
import { formatPiCost } from './format.js';

/** ONNX's protobuf limit: a model file above it is not a valid single-file model. */
const MAX_ONNX_BYTES = 2 ** 31 - 1;
/** The options of `hrn stats` that shape a .hrn network and mean nothing for an ONNX file. */
const HRN_ONLY = ['set', 'network', 'pipeline', 'debug', 'debug-only', 'debug-graph', 'plot'];

export const isOnnxPath = (path: string) => /\.onnx$/i.test(path);

const int = (n: number) => n.toLocaleString('en-US');

/** The bytes of the file at `path`: a regular file of at most 2 GiB, else a one-line UserError. */
function readModelFile(path: string): Uint8Array {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new UserError(`${path}: is a directory, expected an .onnx file`);
    // A device or a pipe may never end: refuse it before reading a byte.
    if (!st.isFile()) throw new UserError(`${path}: not a regular file, expected an .onnx file`);
    size = st.size;
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${path}: no such file`);
  }
  if (size > MAX_ONNX_BYTES) throw new UserError(`${path}: ${int(size)} bytes, above ONNX's limit of 2 GiB for a model file (external data is not read)`);
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UserError(`${path}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** The counts of the ONNX file at `path`; options that only shape .hrn networks are usage errors. */
export function onnxStats(path: string, p: ParsedCommand, he?: HeConstants): OnnxStats {
  const given = HRN_ONLY.find((o) => p.values[o] !== undefined);
  if (given !== undefined) throw new UsageError(`stats: --${given} applies to .hrn files, not to an ONNX model`);
  return countOnnx(readModelFile(path), path, he);
}

export function formatOnnxStats(s: OnnxStats, layers: boolean): string {
  const totals = [int(s.relus.total), millions(s.flops.total), int(s.params.total)];
  const by = layers
    ? formatTable(['node', 'op', 'output', 'ReLUs', 'FLOPs', 'params'], [
        ...s.layers.map((l) => [l.node, l.op, l.output, int(l.relus), millions(l.flops), int(l.params)]),
        ['total', '', '', ...totals],
      ])
    : formatTable(['op', 'nodes', 'ReLUs', 'FLOPs', 'params'], [
        ...Object.entries(s.ops).map(([op, t]) => [op, int(t.nodes), int(t.relus), millions(t.flops), int(t.params)]),
        ['total', int(s.layers.length), ...totals],
      ]);
  const from = [`ONNX opset ${s.opset}`, s.producer === '' ? '' : `from ${s.producer}`].filter((x) => x !== '').join(', ');
  return [
    `${s.network}  (input ${s.input}, ${s.classes} classes; ${from})`,
    '',
    by,
    '',
    `FLOPs count ${s.flops.convention}.`,
    'ReLUs count the elements leaving Relu and Clip nodes (a ReLU6 is one ReLU per element; of an SNL-masked Relu, those its mask keeps); counts are per image.',
    '',
    ...formatPiCost(s.piCost),
  ].join('\n');
}
