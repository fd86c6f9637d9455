// The forward conv's epilogue: bias, residual, ReLU range and the stores of each of the block's
// output rows that is inside the image (OUT_ROWS; with ROWS, row r of the block is oy + r). With
// VEC_OUT, 4 pixels of a channel are stored as one vec4 through the store loop
// (kernels/lib/store_loop.wgsl), 4x fewer per-lane memory operations; otherwise pixel by pixel
// (any alignment, and a last pixel block that overhangs the row, PX_TAIL).
//#for b in OUT_VECS
  let b{{b.v}} = {{bias}}[ob * {{NV}} + {{b.vu}}];
//#endfor
//#for row in OUT_ROWS
//#if ROWS
  let oy_{{row.r}} = oy + {{row.ru}};
  if (oy_{{row.r}} < OUT_H) {
//#endif
//#if VEC_OUT
    let o = (n * OUT_BATCH_STRIDE + OUT_OFFSET + oc0 * OUT_HW + {{row.oy}} * OUT_W + ox0) / 4u;
//#if RESIDUAL
    let ro = (n * RES_BATCH_STRIDE + RES_OFFSET + oc0 * OUT_HW + {{row.oy}} * OUT_W + ox0) / 4u;
//#endif
//#for st in row.stores
//#include store_loop with body
//#if RESIDUAL
        v += {{r_in}}[ro + off];
//#endif
//#if RELU_ALL
        v = max(v, vec4<f32>(0.0));
//#endif
//#if RELU_RANGE
        if (oc0 + ch >= {{RELU_START}} && oc0 + ch < {{RELU_END}}) { v = max(v, vec4<f32>(0.0)); }
//#endif
        {{y_out}}[o + off] = v;
//#endinclude
//#endfor
//#else
//#for px in row.pixels
    {
      let ox = ox0 + {{px.pxu}};
//#if PX_TAIL
      if (ox < OUT_W) {
//#endif
      let o = n * OUT_BATCH_STRIDE + OUT_OFFSET + oc0 * OUT_HW + {{row.oy}} * OUT_W + ox;
//#if RESIDUAL
      let ro = n * RES_BATCH_STRIDE + RES_OFFSET + oc0 * OUT_HW + {{row.oy}} * OUT_W + ox;
//#endif
//#for y in OUT_VECS
      let y{{y.v}} = a{{px.a}}_{{y.v}} + b{{y.v}};
//#for c in y.channels
//#if CH_TAIL
      if (ocl + {{c.ch}} < COG) {
//#else
      {
//#endif
        var e = y{{y.v}}.{{c.comp}};
//#if RESIDUAL
        e += {{r_in}}[ro + {{c.ch}} * OUT_HW];
//#endif
//#if RELU_ALL
        e = max(e, 0.0);
//#endif
//#if RELU_RANGE
        if (oc0 + {{c.ch}} >= {{RELU_START}} && oc0 + {{c.ch}} < {{RELU_END}}) { e = max(e, 0.0); }
//#endif
        {{y_out}}[o + {{c.ch}} * OUT_HW] = e;
      }
//#endfor
//#endfor
//#if PX_TAIL
      }
//#endif
    }
//#endfor
//#endif
//#if ROWS
  }
//#endif
//#endfor
