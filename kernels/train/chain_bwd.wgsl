// Backward of an elementwise chain [bn] [add] [relu on a channel range] (the chains the forward
// pass fuses), and of a plain gradient copy. Per element of the chain's output gradient g:
//   gm = g, masked to 0 on the ReLU's channels where the chain's output is not positive;
//   the add's other operand receives gm                       (target b);
//   the chain's first input receives gm, or through batch norm A*gm + B*(x - mean) + C'   (target a).
// With MASK the ReLU is SNL's partial one, y = v + m * (max(v, 0) - v): where the output is not
// positive (exactly where v is not, for any m in [0, 1]) the gradient is scaled by 1 - m instead
// of cleared; m is the element's mask entry (per pixel) or its channel's (per channel).
// Each target is a view (batch stride, offset) and is written (=) or accumulated (+=) as the
// training plan decided for the gradient buffer it lands in. T is vec4<f32> when H*W % 4 == 0.
// Sizes, views and the ReLU range are dispatch arguments (args.NAME), so the chains of every layer
// share a few kernels (one per combination of the flags below).

{{BINDINGS}}

//#include per_element_args

fn element(e: u32) {
  let p = e % args.PLANE;
  let t = e / args.PLANE;
  let c = t % args.C;
  let n = t / args.C;
  let at = c * args.PLANE + p;
  var gv = {{g_in}}[n * args.G_BS + args.G_OFF + at];
//#if RELU
  if (c >= args.RELU_START && c < args.RELU_END) {
//#if MASK
    gv = select(gv * ({{T}}(1.0) - {{MASK_AT}}), gv, {{o_in}}[n * args.O_BS + args.O_OFF + at] > {{T}}(0.0));
//#else
    gv = select({{T}}(0.0), gv, {{o_in}}[n * args.O_BS + args.O_OFF + at] > {{T}}(0.0));
//#endif
  }
//#endif
//#if TB
  let ib = n * args.B_BS + args.B_OFF + at;
//#if ACC_B
  {{tb}}[ib] = {{tb}}[ib] + gv;
//#else
  {{tb}}[ib] = gv;
//#endif
//#endif
//#if TA
//#if BN
  let k = {{coef}}[c];
  let d = k.x * gv + k.y * ({{x_in}}[n * args.X_BS + args.X_OFF + at] - k.w) + k.z;
//#else
  let d = gv{{SCALE_A}};
//#endif
  let ia = n * args.A_BS + args.A_OFF + at;
//#if ACC_A
  {{ta}}[ia] = {{ta}}[ia] + d;
//#else
  {{ta}}[ia] = d;
//#endif
//#endif
}
