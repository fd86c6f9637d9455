// The forward conv's window for one output row (kernels/conv.wgsl without ROWS): a runtime loop
// over the kernel's rows (unrolling them multiplies lavapipe's JIT time, whose per-lane memory
// accesses expand to a lot of code), each reading its input row once and unrolled over columns,
// pixels and output channels. With subgroups (SHARED_WEIGHTS) each lane loads a different vec4 of
// the row's weights (WEIGHT_LOADS) and subgroupBroadcast hands every lane all of them.
    for (var ky = 0u; ky < KSIZE; ky++) {
//#if SHARED_WEIGHTS
      let wb = wi + ky * {{KNV}} + lane;
//#for q in WEIGHT_LOADS
//#if F16_WEIGHTS
      let q{{q.m}} = vec4<f32>({{wgt}}[wb + {{q.at}}]);
//#else
      let q{{q.m}} = {{wgt}}[wb + {{q.at}}];
//#endif
//#endfor
//#else
      let wb = wi + ky * {{KNV}};
//#endif
//#if MASKED_ROWS
      // With subgroups the body stays in uniform control flow: a row outside the image is read
      // clamped and masked.
      let iy = iy0 + i32(ky);
      let rv = u32(iy) < IN_H;
      let r = xi + min(u32(iy), IN_H - 1u) * IN_W;
//#else
//#if PADDED
      let iy = iy0 + i32(ky);
      if (u32(iy) >= IN_H) {
        continue;
      }
      let r = xi + u32(iy) * IN_W;
//#else
      let r = xi + (u32(iy0) + ky) * IN_W;
//#endif
//#endif
//#include conv_window_input with body
//#for kx in KX
//#for wt in kx.weights
//#if SHARED_WEIGHTS
      let w{{kx.kx}}_{{wt.v}} = subgroupBroadcast(q{{wt.q}}, {{wt.lane}});
//#else
//#if F16_WEIGHTS
      let w{{kx.kx}}_{{wt.v}} = vec4<f32>({{wgt}}[wb + {{wt.e}}]);
//#else
      let w{{kx.kx}}_{{wt.v}} = {{wgt}}[wb + {{wt.e}}];
//#endif
//#endif
//#endfor
//#for f in kx.fmas
      a{{f.px}}_{{f.v}} = fma(w{{kx.kx}}_{{f.v}}, vec4<f32>(x{{f.col}}), a{{f.px}}_{{f.v}});
//#endfor
//#endfor
//#endinclude
    }
