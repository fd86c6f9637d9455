// ONNX Runtime as an inference peer: the network as `hrn export` writes it (batch norm folded into
// the convolutions, as hrn's own inference plan does), run in this process by onnxruntime-node,
// either on the CPU with a fixed number of intra-op threads or on its WebGPU execution provider
// (its own Dawn, on the same Vulkan adapter as hrn: lavapipe here). Its CPU time is this
// process's, like hrn's and tfjs's.

import '../src/ops/index.js';
import * as ort from 'onnxruntime-node';
import { buildOnnxModel, encodeOnnx } from '../src/export/index.js';
import type { LayerGraph } from '../src/ir/graph.js';
import type { Weights } from '../src/weights/index.js';

export class OrtPeer {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly feed: Record<string, ort.Tensor>,
  ) {}

  static async start(graph: LayerGraph, weights: Weights, input: Float32Array, batch: number, threads: number, provider: 'cpu' | 'webgpu' = 'cpu'): Promise<OrtPeer> {
    const bytes = encodeOnnx(buildOnnxModel(graph, weights, { foldBatchNorm: true }));
    const session = await ort.InferenceSession.create(bytes, {
      executionProviders: [provider],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    const s = graph.nodes[0].shape;
    return new OrtPeer(session, { input: new ort.Tensor('float32', input, [batch, s.c, s.h, s.w]) });
  }

  async logits(): Promise<Float32Array> {
    const out = await this.session.run(this.feed);
    return out.logits.data as Float32Array;
  }

  close(): void {
    void this.session.release();
  }
}
