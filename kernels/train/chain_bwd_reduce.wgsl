// Backward of a training-mode batch norm (optionally followed by a residual add and a ReLU on a
// channel range, fused in the forward pass), first half: per (channel, chunk of images) the partial
// sums of gm and gm * xhat, where gm is the gradient reaching the batch norm's output (the chain's
// output gradient with the ReLU mask applied: the mask is read from the chain's output, out > 0,
// which holds exactly where the ReLU's input was positive) and xhat = (x - mean) * inv_std.

{{BINDINGS}}

// Every size and offset is an argument (args.NAME), so layers share this kernel: C, PLANE (in
// units of T), N, IPC, NCH, TOTAL = C * NCH as in bn_stats.wgsl; the views G_BS, G_OFF (output
// gradient), X_BS, X_OFF (bn input), O_BS, O_OFF (chain output, for the ReLU mask), the ReLU's
// channel range RELU_START..RELU_END and the offset ST_OFF of (mean, inv_std) in the bn state.
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
//#if RELU
  let masked = c >= args.RELU_START && c < args.RELU_END;
//#endif
  for (var n = n0; n < n1; n++) {
    let gb = n * args.G_BS + args.G_OFF + c * args.PLANE;
    let xb = n * args.X_BS + args.X_OFF + c * args.PLANE;
//#if RELU
    let ob = n * args.O_BS + args.O_OFF + c * args.PLANE;
//#endif
//#if SPLIT
    for (var p = p0; p < p1; p++) {
//#else
    for (var p = 0u; p < args.PLANE; p++) {
//#endif
      var gv = {{g_in}}[gb + p];
//#if RELU
      if (masked) {
        gv = select({{T}}(0.0), gv, {{o_in}}[ob + p] > {{T}}(0.0));
      }
//#endif
      sg += gv;
      sgx = fma(gv, {{x_in}}[xb + p] - mean, sgx);
    }
  }
//#if VEC4
  {{part}}[e] = vec2<f32>((sg.x + sg.y + sg.z + sg.w), (sgx.x + sgx.y + sgx.z + sgx.w) * {{st}}[args.ST_OFF + 2u * c + 1u]);
//#else
  {{part}}[e] = vec2<f32>(sg, sgx * {{st}}[args.ST_OFF + 2u * c + 1u]);
//#endif
}
