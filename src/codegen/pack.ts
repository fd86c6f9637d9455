// Host-side parameter preparation for inference: batch norm folded into the preceding
// convolution (weights/bn-fold.ts), and weights re-laid out for the kernels' vec4 loads.

import { bnScaleShift, bnTensors, foldBn } from '../weights/bn-fold.js';
import { getWeight, type Weights } from '../weights/weights.js';
import { packConv } from './conv-layout.js';
import type { ParamSource, Plan } from './plan.js';

/**
 * The contents of every parameter buffer of a plan, by buffer id: conv weights with batch norm
 * folded in and packed for the conv kernel, standalone batch norm as scale/shift, fc as is.
 */
export function packParams(plan: Plan, weights: Weights): Map<number, Float32Array> {
  const out = new Map<number, Float32Array>();
  const bnOf = (name: string | undefined) => (name === undefined ? undefined : bnTensors(weights, name));
  const folded = new Map<string, { weight: Float32Array; bias: Float32Array }>();
  const convPacked = (src: Extract<ParamSource, { kind: 'conv-weight' }> | Extract<ParamSource, { kind: 'conv-bias' }>, inC: number, kernel: number) => {
    const key = `${src.conv}|${src.ocb}`;
    let p = folded.get(key);
    if (!p) {
      const cig = inC / src.groups;
      const w = getWeight(weights, `${src.conv}.weight`, src.outC * cig * kernel * kernel);
      const b = src.bias ? getWeight(weights, `${src.conv}.bias`, src.outC) : undefined;
      const f = foldBn(w, b, src.outC, bnOf(src.bn));
      p = packConv(f.weight, f.bias, src.outC, inC, kernel, src.groups, src.ocb);
      folded.set(key, p);
    }
    return p;
  };
  // Conv weight sources carry inC and kernel; bias sources find them through the weight source.
  const convGeometry = new Map<string, { inC: number; kernel: number }>();
  for (const b of plan.buffers) {
    if (b.param?.kind === 'conv-weight') convGeometry.set(b.param.conv, { inC: b.param.inC, kernel: b.param.kernel });
  }
  for (const b of plan.buffers) {
    const src = b.param;
    if (!src) continue;
    let data: Float32Array;
    switch (src.kind) {
      case 'conv-weight': {
        const packed = convPacked(src, src.inC, src.kernel).weight;
        data = new Float32Array(packed.length + src.padding);
        data.set(packed);
        break;
      }
      case 'conv-bias': {
        const g = convGeometry.get(src.conv);
        if (!g) throw new Error(`packParams: no weight buffer for conv ${src.conv}`);
        data = convPacked(src, g.inC, g.kernel).bias;
        break;
      }
      case 'bn-scale':
        data = bnScaleShift(bnOf(src.bn)!).scale;
        break;
      case 'bn-shift':
        data = bnScaleShift(bnOf(src.bn)!).shift;
        break;
      case 'fc-weight':
        data = getWeight(weights, `${src.fc}.weight`, src.outFeatures * src.inFeatures);
        break;
      case 'fc-bias':
        data = getWeight(weights, `${src.fc}.bias`, src.outFeatures);
        break;
      case 'relu-mask':
        data = getWeight(weights, `${src.relu}.mask`, src.length);
        break;
    }
    if (data.byteLength > b.bytes) throw new Error(`packParams: ${b.name} has ${data.byteLength} bytes, buffer holds ${b.bytes}`);
    out.set(b.id, data);
  }
  return out;
}
