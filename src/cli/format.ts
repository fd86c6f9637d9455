// Human-readable renderings shared by the commands.

import { isAbsolute, relative, resolve } from 'node:path';
import { GC_CLIENT_BYTES_PER_RELU, GC_COMM_BYTES_PER_RELU, GC_SECONDS_PER_RELU } from '../ir/cost.js';
import { HE_SLOTS } from '../ir/he-cost.js';
import type { HeConstants } from '../ir/he-constants.js';
import { printLayerTable, printStageTable } from '../ir/print.js';
import type { PiCost } from '../ir/cost.js';
import type { NetworkStats } from '../ir/stats.js';

/** A path as the user should read it: relative to the working directory when inside it, with no
 * doubled or trailing separators (`out/` + `x` prints `out/x`, not `out//x`). */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), resolve(path));
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? resolve(path) : rel;
}

export function bytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}

export function seconds(s: number): string {
  return s >= 1 ? `${s.toFixed(1)} s` : `${(s * 1000).toFixed(1)} ms`;
}

export function criticalityLine(s: NetworkStats): string {
  const order = s.criticality.order.join(' > ');
  if (s.criticality.follows) return `ReLU distribution follows the criticality order ${order} (stem excluded)`;
  const v = s.criticality.violation;
  const why = v ? `: ${v.more} should hold more ReLUs than ${v.less}` : '';
  return `ReLU distribution does not follow the criticality order ${order}${why} (stem excluded)`;
}

export function formatStats(s: NetworkStats): string {
  const lines = [`${s.network}  (input ${s.input}, ${s.classes} classes)`];
  if (s.history.length > 0) lines.push(`after: ${s.history.join('; ')}`);
  lines.push('', printStageTable(s), '');
  if (s.layers) lines.push('Per layer (a convolution with its batch norm and ReLU; the stem counts in S1):', '', printLayerTable(s.layers), '');
  lines.push(`FLOPs count ${s.flops.convention}.`);
  lines.push(criticalityLine(s));
  lines.push('', ...formatPiCost(s.piCost));
  return lines.join('\n');
}

/** The private-inference cost block of `hrn stats`, for a .hrn network and an ONNX file alike. */
export function formatPiCost(pi: PiCost): string[] {
  const lines = ['Private-inference cost of one inference: ReLUs by garbled circuits (GC), linear layers by HE:'];
  lines.push(`  client storage  ${bytes(pi.clientStorageBytes).padStart(9)}   (${GC_CLIENT_BYTES_PER_RELU.toLocaleString('en-US')} B per ReLU)`);
  lines.push(`  communication   ${bytes(pi.communicationBytes).padStart(9)}   (${GC_COMM_BYTES_PER_RELU.toLocaleString('en-US')} B per ReLU)`);
  lines.push(`  GC latency      ${seconds(pi.gcLatencySeconds).padStart(9)}   (${(GC_SECONDS_PER_RELU * 1000).toFixed(3)} ms per ReLU, one thread)`);
  const he = pi.he;
  if (he !== undefined) {
    const count = (n: number) => n.toLocaleString('en-US');
    lines.push(`  HE latency      ${seconds(he.latencySeconds).padStart(9)}   (${count(he.multiplications)} plaintext multiplications, ${count(he.rotations)} rotations; Gazelle packing, ${HE_SLOTS} slots)`);
    lines.push(`  HE constants    ${heConstantsLine(he.constants)}`);
    lines.push(`  HE traffic      ${bytes(he.communicationBytes).padStart(9)}   (${count(he.ciphertexts)} ciphertexts)`);
    lines.push(`  total latency   ${seconds(pi.totalLatencySeconds).padStart(9)}   (HE + GC)`);
  }
  return lines;
}

/** Which constants priced the HE latency, so that a measured cost is never read as the fitted one. */
export function heConstantsLine(c: HeConstants): string {
  const ms = (s: number) => `${(s * 1000).toFixed(3)} ms`;
  const per = `${ms(c.secondsPerMultiplication)} per multiplication, ${ms(c.secondsPerRotation)} per rotation`;
  if (c.source === 'fitted') return `${per} (fitted to the paper's Tables 7 and 8)`;
  const from = c.file === undefined ? 'measured' : `measured, ${displayPath(c.file)}`;
  return `${per} (${from}${c.setting === undefined ? '' : `: ${c.setting}`})`;
}
