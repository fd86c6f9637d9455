// Backward of a training-mode batch norm that starts an elementwise chain, first half: per
// (channel, chunk of images) the partial sums of gm and gm * xhat, where gm is the gradient
// reaching the batch norm's output and xhat = (x - mean) * inv_std. gm is the chain's output
// gradient followed back through the ops after the batch norm: their parts, the sections of
// kernels/chain/<op>.wgsl that the chain's gradient kernel takes too, go where //#parts says,
// without what they write (a ReLU's masks it by the chain's output, which is positive exactly
// where the ReLU's input was).

{{BINDINGS}}

// Every size and offset is an argument (args.NAME), so layers share this kernel: C, PLANE (in
// units of T), N, IPC, NCH, TOTAL = C * NCH as in bn_stats.wgsl; the views G_BS, G_OFF (output
// gradient) and X_BS, X_OFF (bn input), the offset ST_OFF of (mean, inv_std) in the bn state, and
// the parts' views and sizes.
//#include per_element_args

fn element(e: u32) {
  let c = e / args.NCH;
  let j = e - c * args.NCH;
//#if SPLIT
  // A schedule that cuts planes too: chunk j is image chunk j / PCH and plane chunk j % PCH of PPC units of T.
  let ji = j / args.PCH;
  let p0 = (j - ji * args.PCH) * args.PPC;
  let p1 = min(p0 + args.PPC, args.PLANE);
  let n0 = ji * args.IPC;
//#else
  let n0 = j * args.IPC;
//#endif
  let n1 = min(n0 + args.IPC, args.N);
  let mean = {{st}}[args.ST_OFF + 2u * c];
  var sg = {{T}}(0.0);
  var sgx = {{T}}(0.0);
  for (var n = n0; n < n1; n++) {
    // As in the chain's gradient kernel: `at` starts the channel's plane, element k is pixel p.
    let at = c * {{PLANE}};
    let g0 = n * args.G_BS + args.G_OFF + at;
    let x0 = n * args.X_BS + args.X_OFF + at;
//#parts bwd_run
//#if SPLIT
    for (var p = p0; p < p1; p++) {
//#else
    for (var p = 0u; p < args.PLANE; p++) {
//#endif
      let k = p;
      var gv: {{T}} = {{g_in}}[g0 + k];
//#parts bwd_element
      sg += gv;
      sgx = fma(gv, {{x_in}}[x0 + k] - mean, sgx);
    }
  }
//#if VEC4
  {{part}}[e] = vec2<f32>((sg.x + sg.y + sg.z + sg.w), (sgx.x + sgx.y + sgx.z + sgx.w) * {{st}}[args.ST_OFF + 2u * c + 1u]);
//#else
  {{part}}[e] = vec2<f32>(sg, sgx * {{st}}[args.ST_OFF + 2u * c + 1u]);
//#endif
}
