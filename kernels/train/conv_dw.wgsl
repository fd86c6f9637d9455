// Convolution weight gradient (training), NCHW, float32:
//   dw[oc, ic, ky, kx] = sum over n, oy, ox of dy[n, oc, oy, ox] * x[n, ic, oy*S + ky - P, ox*S + kx - P]
// The sum runs over batch * OUT_H * OUT_W terms while dw is small, so the reduction is split in
// two without atomics: this kernel gives each invocation one register tile of dw and one chunk of
// ROWS_PER_CHUNK output rows (n, oy), and writes its partial tile to `dst` (chunk-major; with one
// chunk, straight into the gradient buffer); conv_dw_reduce.wgsl adds the chunks up.
//
// Lanes are input channels: a workgroup is (output-channel vec4s OVB, a row of taps block, a chunk)
// x WG consecutive input channels, all from workgroup_id, so every loop bound is uniform. Each
// lane's tile is OVB*4 output channels x its input channel x KYB rows of K taps (vec4 accumulators
// over 4 output channels). Within a row the output columns go PXB at a time: the OVB*4 x PXB dy
// values are the same for every lane, so with subgroups (SUBGROUPS) each lane
// loads a few of them and subgroupBroadcast hands them to all; the (PXB-1)*S + K input columns of
// each tap row are the lane's own. The tile is written in the forward kernel's packed layout
// (kernels/lib/packed_conv.wgsl) as vec4s; lanes past a group's last output channel
// get exactly zero (their dy is masked), so padding weights stay zero.
//
// The tile, the tap rows, the dy values and the input columns are unrolled: the generator
// (src/ops/conv/kernels/conv-dw.ts) computes their tables, and the body walks them (`//#for`).
// The input columns of a block are read one by one, checked against the row where the padding or
// an overhanging last block can reach past it (COL_CHECK), or, on 4-aligned rows, as aligned quads
// (VEC_X: qi_, qv_, qc_ give a quad's index, whether it is inside the row, and the index clamped).

//#include enables
{{BINDINGS}}
//#include packed_conv

//#include conv_planes
const X_BATCH_STRIDE: u32 = {{X_BS}};
const X_OFFSET: u32 = {{X_OFF}};
const DY_BATCH_STRIDE: u32 = {{DY_BS}};
const DY_OFFSET: u32 = {{DY_OFF}};
const OUT_OFFSET: u32 = {{OUT_OFF}};   // vec4 index of the tile's destination (gradient or partials)
const CHUNK_STRIDE: u32 = {{CHUNK_STRIDE}}; // vec4s per chunk of partials (0 with one chunk)
const CIG: u32 = {{CIG}};
const COG: u32 = {{COG}};
const OCB: u32 = {{OCB}};
const NV: u32 = {{NV}};                // vec4s per packed output block
const OB_PER_G: u32 = {{OBG}};
const OVB: u32 = {{OVB}};              // output-channel vec4s per workgroup
const OV_N: u32 = {{OVN}};             // OB_PER_G * NV / OVB
const ICK_PER_G: u32 = {{ICKG}};       // blocks of WG input channels per group
const KYB: u32 = {{KYB}};              // rows of taps per workgroup
const KYB_N: u32 = {{KYBN}};
const ROWS: u32 = {{ROWS}};            // batch * OUT_H
const ROWS_PER_CHUNK: u32 = {{RPC}};
const GROUPS_X: u32 = {{GX}};          // OV_N * KYB_N * chunks
const PXB: u32 = {{PXB}};
const XB: u32 = {{XB}};                // column blocks per output row
const NX: u32 = {{NX}};

//#include subgroup_entry
  let L = wid.x + wid.z * NX;
  if (L >= GROUPS_X) {
    return;
  }
  let ov = L % OV_N;
  let t2 = L / OV_N;
  let kyb = t2 % KYB_N;
  let chunk = t2 / KYB_N;
  let g = wid.y / ICK_PER_G;
  let icl = (wid.y - g * ICK_PER_G) * {{WG}}u + lid;
  let icc = min(icl, CIG - 1u);
  let ocl0 = ov * (OVB * 4u);            // first output channel (in group) of this workgroup
  let ob = packedBlock(g, ocl0);
  let v0 = (ocl0 % OCB) / 4u;
  let ky0 = kyb * KYB;
  let xc = (g * CIG + icc) * IHW;
  let dyc = (g * COG) * OHW;
//#for a in ACC
  var a{{a.ky}}_{{a.kx}}_{{a.v}} = vec4<f32>(0.0);
//#endfor
  let q0 = chunk * ROWS_PER_CHUNK;
  let q1 = min(q0 + ROWS_PER_CHUNK, ROWS);
  for (var q = q0; q < q1; q++) {
    let oy = q % OUT_H;
    let n = q / OUT_H;
    let dyr = n * DY_BATCH_STRIDE + DY_OFFSET + dyc + oy * OUT_W;
    let xn = n * X_BATCH_STRIDE + X_OFFSET + xc;
//#for r in TAP_ROWS
//#if ROW_CHECK
    let iy{{r.ky}} = i32(oy * {{SU}} + ky0 + {{r.kyu}}) - {{PI}};
    let rv{{r.ky}} = u32(iy{{r.ky}}) < IN_H;
    let xr{{r.ky}} = xn + min(u32(iy{{r.ky}}), IN_H - 1u) * IN_W;
//#else
    let xr{{r.ky}} = xn + (oy * {{SU}} + ky0 + {{r.kyu}}) * IN_W;
//#endif
//#endfor
    for (var cb = 0u; cb < XB; cb++) {
      let ox0 = cb * PXB;
//#for w in DY_LOADS
//#if w.partial
      let e{{w.m}} = min(lane + {{w.first}}, {{w.last}});
//#else
      let e{{w.m}} = lane + {{w.first}};
//#endif
//#if OC_TAIL
//#if COL_TAIL
      let q{{w.m}} = select(0.0, {{dy}}[dyr + min(ocl0 + e{{w.m}} / {{PXB}}, COG - 1u) * OHW + min(ox0 + e{{w.m}} % {{PXB}}, OUT_W - 1u)], ocl0 + e{{w.m}} / {{PXB}} < COG && ox0 + e{{w.m}} % {{PXB}} < OUT_W);
//#else
      let q{{w.m}} = select(0.0, {{dy}}[dyr + min(ocl0 + e{{w.m}} / {{PXB}}, COG - 1u) * OHW + ox0 + e{{w.m}} % {{PXB}}], ocl0 + e{{w.m}} / {{PXB}} < COG);
//#endif
//#else
//#if COL_TAIL
      let q{{w.m}} = select(0.0, {{dy}}[dyr + (ocl0 + e{{w.m}} / {{PXB}}) * OHW + min(ox0 + e{{w.m}} % {{PXB}}, OUT_W - 1u)], ox0 + e{{w.m}} % {{PXB}} < OUT_W);
//#else
      let q{{w.m}} = {{dy}}[dyr + (ocl0 + e{{w.m}} / {{PXB}}) * OHW + ox0 + e{{w.m}} % {{PXB}}];
//#endif
//#endif
//#endfor
//#for d in DY_VECS
//#if SHARED_DY
      let d{{d.v}}_{{d.px}} = vec4<f32>(subgroupBroadcast(q{{d.q0}}, {{d.l0}}), subgroupBroadcast(q{{d.q1}}, {{d.l1}}), subgroupBroadcast(q{{d.q2}}, {{d.l2}}), subgroupBroadcast(q{{d.q3}}, {{d.l3}}));
//#else
//#if OC_TAIL
//#if COL_TAIL
      let d{{d.v}}_{{d.px}} = vec4<f32>(select(0.0, {{dy}}[dyr + min(ocl0 + {{d.c0}}, COG - 1u) * OHW + min(ox0 + {{d.pxu}}, OUT_W - 1u)], ocl0 + {{d.c0}} < COG && ox0 + {{d.pxu}} < OUT_W), select(0.0, {{dy}}[dyr + min(ocl0 + {{d.c1}}, COG - 1u) * OHW + min(ox0 + {{d.pxu}}, OUT_W - 1u)], ocl0 + {{d.c1}} < COG && ox0 + {{d.pxu}} < OUT_W), select(0.0, {{dy}}[dyr + min(ocl0 + {{d.c2}}, COG - 1u) * OHW + min(ox0 + {{d.pxu}}, OUT_W - 1u)], ocl0 + {{d.c2}} < COG && ox0 + {{d.pxu}} < OUT_W), select(0.0, {{dy}}[dyr + min(ocl0 + {{d.c3}}, COG - 1u) * OHW + min(ox0 + {{d.pxu}}, OUT_W - 1u)], ocl0 + {{d.c3}} < COG && ox0 + {{d.pxu}} < OUT_W));
//#else
      let d{{d.v}}_{{d.px}} = vec4<f32>(select(0.0, {{dy}}[dyr + min(ocl0 + {{d.c0}}, COG - 1u) * OHW + ox0 + {{d.pxu}}], ocl0 + {{d.c0}} < COG), select(0.0, {{dy}}[dyr + min(ocl0 + {{d.c1}}, COG - 1u) * OHW + ox0 + {{d.pxu}}], ocl0 + {{d.c1}} < COG), select(0.0, {{dy}}[dyr + min(ocl0 + {{d.c2}}, COG - 1u) * OHW + ox0 + {{d.pxu}}], ocl0 + {{d.c2}} < COG), select(0.0, {{dy}}[dyr + min(ocl0 + {{d.c3}}, COG - 1u) * OHW + ox0 + {{d.pxu}}], ocl0 + {{d.c3}} < COG));
//#endif
//#else
//#if COL_TAIL
      let d{{d.v}}_{{d.px}} = vec4<f32>(select(0.0, {{dy}}[dyr + (ocl0 + {{d.c0}}) * OHW + min(ox0 + {{d.pxu}}, OUT_W - 1u)], ox0 + {{d.pxu}} < OUT_W), select(0.0, {{dy}}[dyr + (ocl0 + {{d.c1}}) * OHW + min(ox0 + {{d.pxu}}, OUT_W - 1u)], ox0 + {{d.pxu}} < OUT_W), select(0.0, {{dy}}[dyr + (ocl0 + {{d.c2}}) * OHW + min(ox0 + {{d.pxu}}, OUT_W - 1u)], ox0 + {{d.pxu}} < OUT_W), select(0.0, {{dy}}[dyr + (ocl0 + {{d.c3}}) * OHW + min(ox0 + {{d.pxu}}, OUT_W - 1u)], ox0 + {{d.pxu}} < OUT_W));
//#else
      let d{{d.v}}_{{d.px}} = vec4<f32>({{dy}}[dyr + (ocl0 + {{d.c0}}) * OHW + ox0 + {{d.pxu}}], {{dy}}[dyr + (ocl0 + {{d.c1}}) * OHW + ox0 + {{d.pxu}}], {{dy}}[dyr + (ocl0 + {{d.c2}}) * OHW + ox0 + {{d.pxu}}], {{dy}}[dyr + (ocl0 + {{d.c3}}) * OHW + ox0 + {{d.pxu}}]);
//#endif
//#endif
//#endif
//#endfor
//#if VEC_X
//#for q in X_QUADS
//#if !q.always
      let qi_{{q.n}} = i32(ox0 * {{SU}} / 4u) + {{q.d}};
      let qv_{{q.n}} = u32(qi_{{q.n}}) < {{IW4}};
      let qc_{{q.n}} = min(u32(qi_{{q.n}}), {{IW4}} - 1u);
//#endif
//#endfor
//#for r in TAP_ROWS
//#for q in X_QUADS
//#if q.always
//#if ROW_CHECK
      let xq{{r.ky}}_{{q.n}} = select(vec4<f32>(0.0), {{x_in}}[xr{{r.ky}} / 4u + ox0 * {{SU}} / 4u + {{q.qdu}}], rv{{r.ky}});
//#else
      let xq{{r.ky}}_{{q.n}} = {{x_in}}[xr{{r.ky}} / 4u + ox0 * {{SU}} / 4u + {{q.qdu}}];
//#endif
//#else
//#if ROW_CHECK
      let xq{{r.ky}}_{{q.n}} = select(vec4<f32>(0.0), {{x_in}}[xr{{r.ky}} / 4u + qc_{{q.n}}], rv{{r.ky}} && qv_{{q.n}});
//#else
      let xq{{r.ky}}_{{q.n}} = select(vec4<f32>(0.0), {{x_in}}[xr{{r.ky}} / 4u + qc_{{q.n}}], qv_{{q.n}});
//#endif
//#endif
//#endfor
//#for c in X_COLUMNS
      let x{{r.ky}}_{{c.j}} = vec4<f32>(xq{{r.ky}}_{{c.qn}}.{{c.comp}});
//#endfor
//#endfor
//#else
//#if COL_CHECK
//#for c in X_COLUMNS
      let ix{{c.j}} = i32(ox0 * {{SU}} + {{c.ju}}) - {{PI}};
      let iv{{c.j}} = u32(ix{{c.j}}) < IN_W;
      let ixc{{c.j}} = min(u32(ix{{c.j}}), IN_W - 1u);
//#endfor
//#endif
//#for r in TAP_ROWS
//#for c in X_COLUMNS
//#if COL_CHECK
//#if ROW_CHECK
      let x{{r.ky}}_{{c.j}} = vec4<f32>(select(0.0, {{x_in}}[xr{{r.ky}} + ixc{{c.j}}], rv{{r.ky}} && iv{{c.j}}));
//#else
      let x{{r.ky}}_{{c.j}} = vec4<f32>(select(0.0, {{x_in}}[xr{{r.ky}} + ixc{{c.j}}], iv{{c.j}}));
//#endif
//#else
//#if ROW_CHECK
      let x{{r.ky}}_{{c.j}} = vec4<f32>(select(0.0, {{x_in}}[xr{{r.ky}} + ox0 * {{SU}} + {{c.ju}}], rv{{r.ky}}));
//#else
      let x{{r.ky}}_{{c.j}} = vec4<f32>({{x_in}}[xr{{r.ky}} + ox0 * {{SU}} + {{c.ju}}]);
//#endif
//#endif
//#endfor
//#endfor
//#endif
//#for f in FMAS
      a{{f.ky}}_{{f.kx}}_{{f.v}} = fma(d{{f.v}}_{{f.px}}, x{{f.ky}}_{{f.j}}, a{{f.ky}}_{{f.kx}}_{{f.v}});
//#endfor
    }
  }
  if (icl < CIG) {
    let b = OUT_OFFSET + chunk * CHUNK_STRIDE + packedWeight(ob, icl, ky0 * {{KU}}) / 4u + v0;
//#for st in STORES
//#include store_loop with body
        {{dst}}[b + off] = v;
//#endinclude
//#endfor
  }
}
