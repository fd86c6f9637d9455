// Convolution input gradient (training), NCHW, float32:
//   dx[n, ic, iy, ix] (=|+=) sum over oc of its group, ky, kx with iy = oy*S + ky - P, ix = ox*S + kx - P
//                             of dy[n, oc, oy, ox] * w[oc, ic, ky, kx]
// A gather (each invocation owns its outputs, no atomics), built like the forward kernel
// (kernels/conv.wgsl) with the roles of the channels swapped: one invocation computes ICB input
// channels (vec4 accumulators) x RB rows x PXB columns of one image and loops over the group's
// output channels one at a time, reading a few dy values per channel (loads that differ per lane:
// scalars, or at stride 1 with 4-aligned rows aligned vec4 quads of a dy row) and the channel's
// ICB x K*K weights, which are the same for every lane.
//
// RB and PXB are multiples of the stride and blocks start at multiples of it, so which (ky, kx)
// taps reach which pixel of the block is known when the kernel is generated: the generator
// (src/ops/conv/kernels/conv-dx.ts) computes the tables of those taps, and the body below walks
// them unrolled (`//#for`), touching only contributing taps; the checks left at run time are the
// image borders. Per dy row oyb + dq (in output units) the body keeps whether it is inside dy
// (rv_) and its clamped start (ro_); per dy column oxb + eq, either the same (cv_, cx_) or, at
// stride 1 on 4-aligned rows, the aligned quad holding it (qi_, qv_, qc_: index, inside, clamped).
//
// Weights are in the forward kernel's packed layout (kernels/lib/packed_conv.wgsl). With subgroups (SUBGROUPS) each lane loads a
// different one of the ICB*K*K weights of the channel and subgroupBroadcast hands every lane all
// of them (on a CPU driver a load at a lane-uniform address is still done lane by lane); the whole
// body is then in uniform control flow: out-of-image reads are clamped and masked with select, and
// lanes past the end compute a clamped block and skip the stores.

//#include enables
{{BINDINGS}}
//#include packed_conv

//#include conv_dx_views
const KK: u32 = {{KK}};
const ICB: u32 = {{ICB}};            // input channels per invocation
const ICB_PER_G: u32 = {{ICBG}};     // input-channel blocks per group
const RB: u32 = {{RB}};
const PXB: u32 = {{PXB}};
const XB: u32 = {{XB}};              // column blocks per row
const YB: u32 = {{YB}};              // row blocks per image
const SPATIAL: u32 = {{SPATIAL}};    // batch * YB * XB
const NX: u32 = {{NX}};

//#include subgroup_entry
  let s_raw = (wid.x + wid.z * NX) * {{WG}}u + lid;
  let live = s_raw < SPATIAL;
  let s = min(s_raw, SPATIAL - 1u);
  let icb = wid.y;
  let g = icb / ICB_PER_G;
  let icl0 = (icb - g * ICB_PER_G) * ICB;
  let xb = s % XB;
  let t = s / XB;
  let yb = t % YB;
  let n = t / YB;
  let iy0 = yb * RB;
  let ix0 = xb * PXB;
  let oyb = i32(iy0 / {{S}}u);
  let oxb = i32(ix0 / {{S}}u);
//#for a in ACC
  var a{{a.r}}_{{a.j}}_{{a.v}} = vec4<f32>(0.0);
//#endfor
//#if IC_TAIL
  let icl_max = min({{ICB_LAST}}, CIG - 1u - icl0);
//#endif
//#for r in DY_ROWS
  let oy_{{r.n}} = oyb + {{r.d}};
  let rv_{{r.n}} = u32(oy_{{r.n}}) < OUT_H;
  let ro_{{r.n}} = min(u32(oy_{{r.n}}), OUT_H - 1u) * OUT_W;
//#endfor
//#if DY_QUADS
//#for q in DY_QUADS
  let qi_{{q.n}} = oxb / 4i + {{q.d}};
  let qv_{{q.n}} = u32(qi_{{q.n}}) < (OUT_W / 4u);
  let qc_{{q.n}} = min(u32(qi_{{q.n}}), (OUT_W / 4u) - 1u);
//#endfor
//#else
//#for c in DY_COLUMNS
  let ox_{{c.n}} = oxb + {{c.d}};
  let cv_{{c.n}} = u32(ox_{{c.n}}) < OUT_W;
  let cx_{{c.n}} = min(u32(ox_{{c.n}}), OUT_W - 1u);
//#endfor
//#endif
  // The weights' float index in the parameter buffer is an argument (args.W_OFF), so that layers
  // whose shapes, views and accumulation agree share this kernel.
  let w_offset = args.W_OFF;
  var dyp = n * DY_BATCH_STRIDE + DY_OFFSET + g * (COG * OHW);
  for (var oc = 0u; oc < COG; oc++) {
    // the channel's weights: packed block, lane, and this invocation's input channels
    let wbase = w_offset + packedWeight(packedBlock(g, oc), icl0, 0u) + oc % PACK_OCB;
//#for w in WEIGHT_LOADS
//#if w.partial
    let e{{w.m}} = min(lane + {{w.first}}, {{w.last}});
//#else
    let e{{w.m}} = lane + {{w.first}};
//#endif
//#if IC_TAIL
    let q{{w.m}} = {{wgt}}[wbase + min(e{{w.m}} / KK, icl_max) * (KK * OCB) + (e{{w.m}} % KK) * OCB];
//#else
    let q{{w.m}} = {{wgt}}[wbase + e{{w.m}} / KK * (KK * OCB) + (e{{w.m}} % KK) * OCB];
//#endif
//#endfor
//#if DY_QUADS
//#for y in DY_LOADS
    let y_{{y.dq}}_{{y.qd}} = select(vec4<f32>(0.0), {{dy}}[(dyp + ro_{{y.dq}}) / 4u + qc_{{y.qd}}], rv_{{y.dq}} && qv_{{y.qd}});
//#endfor
//#for d in DY_TAPS
    let d_{{d.dq}}_{{d.eq}} = vec4<f32>(y_{{d.dq}}_{{d.qd}}.{{d.comp}});
//#endfor
//#else
//#for d in DY_TAPS
    let d_{{d.dq}}_{{d.eq}} = vec4<f32>(select(0.0, {{dy}}[dyp + ro_{{d.dq}} + cx_{{d.eq}}], rv_{{d.dq}} && cv_{{d.eq}}));
//#endfor
//#endif
//#for w in WEIGHTS
//#if SHARED_WEIGHTS
    let w{{w.t}}_{{w.v}} = vec4<f32>(subgroupBroadcast(q{{w.q0}}, {{w.l0}}), subgroupBroadcast(q{{w.q1}}, {{w.l1}}), subgroupBroadcast(q{{w.q2}}, {{w.l2}}), subgroupBroadcast(q{{w.q3}}, {{w.l3}}));
//#else
//#if IC_TAIL
    let w{{w.t}}_{{w.v}} = vec4<f32>({{wgt}}[wbase + min({{w.i0}}, icl_max) * (KK * OCB) + {{w.tap}} * OCB], {{wgt}}[wbase + min({{w.i1}}, icl_max) * (KK * OCB) + {{w.tap}} * OCB], {{wgt}}[wbase + min({{w.i2}}, icl_max) * (KK * OCB) + {{w.tap}} * OCB], {{wgt}}[wbase + min({{w.i3}}, icl_max) * (KK * OCB) + {{w.tap}} * OCB]);
//#else
    let w{{w.t}}_{{w.v}} = vec4<f32>({{wgt}}[wbase + {{w.e0}} * OCB], {{wgt}}[wbase + {{w.e1}} * OCB], {{wgt}}[wbase + {{w.e2}} * OCB], {{wgt}}[wbase + {{w.e3}} * OCB]);
//#endif
//#endif
//#endfor
//#for f in FMAS
    a{{f.r}}_{{f.j}}_{{f.v}} = fma(w{{f.t}}_{{f.v}}, d_{{f.dq}}_{{f.eq}}, a{{f.r}}_{{f.j}}_{{f.v}});
//#endfor
    dyp += OHW;
  }
  if (live) {
//#if VEC_STORES
    let o = (n * DX_BATCH_STRIDE + DX_OFFSET + (g * CIG + icl0) * IHW + iy0 * IN_W + ix0) / 4u;
//#for st in STORES
//#if st.scoped
    {
//#endif
//#include store_loop with body
//#if ACCUMULATE
        {{dx}}[o + off] = {{dx}}[o + off] + v;
//#else
        {{dx}}[o + off] = v;
//#endif
//#endinclude
//#if st.scoped
    }
//#endif
//#endfor
//#else
//#for p in PIXELS
    {
      let iy = iy0 + {{p.ru}};
      let ix = ix0 + {{p.ju}};
//#if ROW_TAIL
//#if COL_TAIL
      if (iy < IN_H && ix < IN_W) {
//#else
      if (iy < IN_H) {
//#endif
//#else
//#if COL_TAIL
      if (ix < IN_W) {
//#endif
//#endif
{{IND}}let o = n * DX_BATCH_STRIDE + DX_OFFSET + (g * CIG + icl0) * IHW + iy * IN_W + ix;
//#for c in CHANNELS
//#if IC_TAIL
//#if ACCUMULATE
{{IND}}if (icl0 + {{c.icl}} < CIG) { {{dx}}[o + {{c.icl}} * IHW] = {{dx}}[o + {{c.icl}} * IHW] + a{{p.r}}_{{p.j}}_{{c.v}}.{{c.comp}}; }
//#else
{{IND}}if (icl0 + {{c.icl}} < CIG) { {{dx}}[o + {{c.icl}} * IHW] = a{{p.r}}_{{p.j}}_{{c.v}}.{{c.comp}}; }
//#endif
//#else
//#if ACCUMULATE
{{IND}}{{dx}}[o + {{c.icl}} * IHW] = {{dx}}[o + {{c.icl}} * IHW] + a{{p.r}}_{{p.j}}_{{c.v}}.{{c.comp}};
//#else
{{IND}}{{dx}}[o + {{c.icl}} * IHW] = a{{p.r}}_{{p.j}}_{{c.v}}.{{c.comp}};
//#endif
//#endif
//#endfor
//#if EDGE
      }
//#endif
    }
//#endfor
//#endif
  }
}
