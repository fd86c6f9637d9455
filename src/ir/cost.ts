// Private-inference cost: the nonlinear layers here, the linear ones in he-cost.ts. In hybrid HE/GC protocols (Delphi and its
// successors) each ReLU is a garbled circuit, so ReLU count drives storage, traffic and latency.
// Constants are public measurements (docs/architecture.md, "Cost constants"); each is named for where it comes from.

import type { LayerGraph } from './graph.js';
import { heCost, heCostOfLayers, type HeCost, type LinearLayer } from './he-cost.js';
import { FITTED_HE_CONSTANTS, type HeConstants } from './he-constants.js';

/** Client (evaluator) storage of garbled circuits per ReLU, bytes (Garimella et al. 2023). */
export const GC_CLIENT_BYTES_PER_RELU = 18_248;
/** Server (garbler) storage per ReLU, bytes (same source). */
export const GC_SERVER_BYTES_PER_RELU = 3_590;
/** Garbled tables sent to the client per ReLU, bytes (same source). */
export const GC_COMM_BYTES_PER_RELU = 17_072;
/**
 * Online GC latency per ReLU, seconds: the DeepReShape paper's Table 7 implies about 0.112 ms
 * (33.7 s for 300K ReLUs) in its setting.
 */
export const GC_SECONDS_PER_RELU = 33.7 / 300_000;

export interface PiCost {
  clientStorageBytes: number;
  serverStorageBytes: number;
  /** Garbled-circuit traffic (the ReLUs). */
  communicationBytes: number;
  gcLatencySeconds: number;
  /** The linear layers under HE (src/ir/he-cost.ts); absent when no layer graph was given. */
  he?: HeCost;
  heLatencySeconds: number;
  heCommunicationBytes: number;
  /** One private inference: HE (linear layers) + GC (ReLUs). */
  totalLatencySeconds: number;
}

/**
 * PI cost of `relus` ReLUs, plus the HE cost of the graph's linear layers when it is given, priced
 * with `he` (the fitted constants unless measured ones are given).
 */
export function piCost(relus: number, graph?: LayerGraph, he: HeConstants = FITTED_HE_CONSTANTS): PiCost {
  return piCostWith(relus, graph === undefined ? undefined : heCost(graph, he));
}

/** PI cost of `relus` ReLUs and of linear layers found elsewhere than in a layer graph (an ONNX file). */
export function piCostOfLayers(relus: number, layers: readonly LinearLayer[], he: HeConstants = FITTED_HE_CONSTANTS): PiCost {
  return piCostWith(relus, heCostOfLayers(layers, he));
}

function piCostWith(relus: number, he: HeCost | undefined): PiCost {
  const gcLatencySeconds = relus * GC_SECONDS_PER_RELU;
  const heLatencySeconds = he?.latencySeconds ?? 0;
  return {
    clientStorageBytes: relus * GC_CLIENT_BYTES_PER_RELU,
    serverStorageBytes: relus * GC_SERVER_BYTES_PER_RELU,
    communicationBytes: relus * GC_COMM_BYTES_PER_RELU,
    gcLatencySeconds,
    ...(he === undefined ? {} : { he }),
    heLatencySeconds,
    heCommunicationBytes: he?.communicationBytes ?? 0,
    totalLatencySeconds: heLatencySeconds + gcLatencySeconds,
  };
}
