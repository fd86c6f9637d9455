// The forward conv's window for RB output rows (kernels/conv.wgsl with ROWS), unrolled: every
// weight of the input channel first (with subgroups, ceil(K*K*NV / SG) loads a lane, handed out
// by subgroupBroadcast), then each input row the block reads (IN_ROWS), loaded once and used for
// every output row it feeds (the row's FMAs).
//#if SHARED_WEIGHTS
//#for q in WEIGHT_LOADS
//#if F16_WEIGHTS
    let q{{q.m}} = vec4<f32>({{wgt}}[wi + lane + {{q.at}}]);
//#else
    let q{{q.m}} = {{wgt}}[wi + lane + {{q.at}}];
//#endif
//#endfor
//#endif
//#for wt in WEIGHTS
//#if SHARED_WEIGHTS
    let w{{wt.ky}}_{{wt.kx}}_{{wt.v}} = subgroupBroadcast(q{{wt.q}}, {{wt.lane}});
//#else
//#if F16_WEIGHTS
    let w{{wt.ky}}_{{wt.kx}}_{{wt.v}} = vec4<f32>({{wgt}}[wi + {{wt.e}}]);
//#else
    let w{{wt.ky}}_{{wt.kx}}_{{wt.v}} = {{wgt}}[wi + {{wt.e}}];
//#endif
//#endif
//#endfor
//#include conv_window_input with body
//#for f in w.fmas
    a{{f.px}}_{{f.v}} = fma(w{{f.ky}}_{{f.kx}}_{{f.v}}, vec4<f32>(x{{w.pre}}{{f.col}}), a{{f.px}}_{{f.v}});
//#endfor
//#endinclude
