// conv_dw_reduce on its own against sums on the host: the one-invocation-per-vec4 form (the cpu
// profile's) and the tree form the gpu profile picks for small gradients of many chunks, at
// several lanes per vec4, with gradient sizes that do not fill the last workgroup and the result
// written at an offset (the vec4s before it must stay as they were).

import { describe, expect, it } from 'vitest';
import '../src/codegen/template-files.js';
import { genConvDwReduce } from '../src/ops/conv/kernels/conv-dw-reduce.js';
import { DEFAULT_DISPATCH_LIMITS } from '../src/codegen/kernels/common.js';
import { dwReduceLanes } from '../src/codegen/schedule/reduction.js';
import { Rng } from '../src/weights/weights.js';
import { useGpu } from './gpu-fixtures.js';
import { dispatchKernel } from './kernel-dispatch.js';

const gpu = useGpu();
const PART = 0;
const GRAD = 1;
const OUT_OFF4 = 3;

describe('conv_dw_reduce', () => {
  for (const lanes of [1, 2, 4, 8]) {
    for (const [size4, chunks] of [[5, 13], [37, 3], [70, 9]]) {
      it(`${lanes} lane(s) per vec4: ${chunks} chunks of ${size4} vec4s`, async () => {
        const k = genConvDwReduce('test dW reduce', PART, { buffer: GRAD, offset4: OUT_OFF4 }, size4, chunks, 64, DEFAULT_DISPATCH_LIMITS, lanes);
        expect(k.template).toBe(lanes > 1 ? 'train/conv_dw_reduce_tree' : 'train/conv_dw_reduce');
        const part = new Rng(size4 * 100 + chunks).fillNormal(new Float32Array(chunks * size4 * 4), 1);
        const grad = new Float32Array((OUT_OFF4 + size4) * 4).fill(7);
        const data: Record<number, Float32Array> = { [PART]: part, [GRAD]: grad };
        const out = await dispatchKernel(gpu(), k, k.bindings.map((b) => ({ binding: b.binding, data: data[b.buffer] })));
        const got = out.get(k.bindings.find((b) => b.buffer === GRAD)!.binding)!;
        expect(Array.from(got.subarray(0, OUT_OFF4 * 4))).toEqual(new Array(OUT_OFF4 * 4).fill(7));
        for (let f = 0; f < size4 * 4; f++) {
          let want = 0;
          for (let c = 0; c < chunks; c++) want += part[c * size4 * 4 + f];
          expect(Math.abs(got[OUT_OFF4 * 4 + f] - want), `float ${f}`).toBeLessThan(1e-5 * Math.max(1, Math.abs(want)));
        }
      });
    }
  }

  it('the gpu profile shares a vec4 among lanes only while the reduction is short of invocations and each lane has a chunk', () => {
    // Stage 1 of ResNet18 (m=64) at batch 128: 9,216 vec4s of 205 chunks; 4 lanes reach 36,864 invocations.
    expect(dwReduceLanes(9216, 205, 64)).toBe(4);
    // Stage 4: 589,824 vec4s are invocations enough.
    expect(dwReduceLanes(589_824, 4, 64)).toBe(1);
    // A stem of 112 vec4s and 40 chunks: as many lanes as chunks allow (32), within the workgroup.
    expect(dwReduceLanes(112, 40, 64)).toBe(32);
    expect(dwReduceLanes(112, 400, 64)).toBe(64);
  });
});
