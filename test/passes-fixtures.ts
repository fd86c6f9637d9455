// Networks for the pass tests, built directly as architecture IR (no parser), and small helpers
// to run pipelines and count.

import type { ArchIR } from '../src/ir/arch.js';
import { countGraph } from '../src/ir/count.js';
import { residualNetwork } from '../src/ir/factory.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { runPipeline, type RunOptions, type RunResult } from '../src/passes/manager.js';
import { stepsFromText } from '../src/passes/types.js';
import { DiagnosticError, type Diagnostic } from '../src/diagnostics.js';

/** ResNet18's stage criticality on CIFAR-100 (Table 10): S3 > S2 > S4 > S1. */
export const R18_ORDER = ['S3', 'S2', 'S4', 'S1'];
/** The alternative order of Appendix C. */
export const ALT_ORDER = ['S3', 'S4', 'S2', 'S1'];

export const CIFAR = { input: { c: 3, h: 32, w: 32 }, classes: 100 };
export const TINY_IMAGENET = { input: { c: 3, h: 64, w: 64 }, classes: 200 };

export interface NetOptions {
  m?: number;
  depths?: number[];
  data?: { input: { c: number; h: number; w: number }; classes: number };
  criticality?: string[];
  name?: string;
}

/** A ResNet18-style network (basic blocks) with base width m and stagewise factors. */
export function net(factors: number[], o: NetOptions = {}): ArchIR {
  const data = o.data ?? CIFAR;
  return residualNetwork({
    name: o.name ?? `HRN-${factors.map((f) => `${f}x`).join('')}`,
    m: o.m ?? 16,
    factors,
    depths: o.depths ?? [2, 2, 2, 2],
    input: data.input,
    classes: data.classes,
    criticality: o.criticality ?? R18_ORDER,
  });
}

export const resnet18 = (m = 64, data = CIFAR) => net([2, 2, 2], { m, data, name: 'ResNet18' });
export const resnet34 = (m = 64, data = CIFAR) => net([2, 2, 2], { m, data, name: 'ResNet34', depths: [3, 4, 6, 3] });

/** Runs a pipeline written as text (`cull S1; thin S2 S3 S4`). */
export function run(input: ArchIR | ArchIR[], text: string, opts: RunOptions = {}): RunResult {
  return runPipeline(input, stepsFromText(text), opts);
}

/** The single network a pipeline yields. */
export function one(input: ArchIR, text: string): ArchIR {
  const { family } = run(input, text);
  if (family.length !== 1) throw new Error(`expected one network, got ${family.length}`);
  return family[0];
}

export function counts(n: ArchIR) {
  return countGraph(lowerToGraph(n));
}
export const relus = (n: ArchIR) => counts(n).total.relus;
export const flops = (n: ArchIR) => counts(n).total.flops;
export const stageRelus = (n: ArchIR) => counts(n).rows.filter((r) => r.stage !== 'head').map((r) => r.relus);

/** The diagnostics of a call that must throw DiagnosticError. */
export function diagnosticsOf(f: () => unknown): readonly Diagnostic[] {
  try {
    f();
  } catch (e) {
    if (e instanceof DiagnosticError) return e.diagnostics;
    throw e;
  }
  throw new Error('expected a DiagnosticError');
}

/** Relative deviation of ours from the paper's figure. */
export const deviation = (ours: number, paper: number) => (ours - paper) / paper;
