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
// An invocation computes a run of RUN elements (the schedule's).
// Sizes, views and the ReLU range are dispatch arguments (args.NAME), so the chains of every layer
// share a few kernels (one per combination of the flags below).

{{BINDINGS}}

//#include per_element_args

// Invocation i computes the run of RUN elements starting at element i * RUN (RUN divides PLANE, so
// a run lies in one plane): its image, channel and the channel's coefficients, once per run.
fn element(i: u32) {
  let e0 = i * {{RUN}}u;
  let p0 = e0 % args.PLANE;
  let t = e0 / args.PLANE;
  let c = t % args.C;
  let n = t / args.C;
  let at = c * args.PLANE + p0;
  let g0 = n * args.G_BS + args.G_OFF + at;
//#if RELU
  let on = c >= args.RELU_START && c < args.RELU_END;
  let o0 = n * args.O_BS + args.O_OFF + at;
//#endif
//#if TB
  let ib = n * args.B_BS + args.B_OFF + at;
//#endif
//#if TA
//#if BN
  let kc = {{coef}}[c];
  let x0 = n * args.X_BS + args.X_OFF + at;
//#endif
  let ia = n * args.A_BS + args.A_OFF + at;
//#endif
  for (var k = 0u; k < {{RUN}}u; k++) {
    let p = p0 + k;
    var gv = {{g_in}}[g0 + k];
//#if RELU
    if (on) {
//#if MASK
//#include snl_mask
      gv = select(gv * ({{T}}(1.0) - m), gv, {{o_in}}[o0 + k] > {{T}}(0.0));
//#else
      gv = select({{T}}(0.0), gv, {{o_in}}[o0 + k] > {{T}}(0.0));
//#endif
    }
//#endif
//#if TB
//#if ACC_B
    {{tb}}[ib + k] = {{tb}}[ib + k] + gv;
//#else
    {{tb}}[ib + k] = gv;
//#endif
//#endif
//#if TA
//#if BN
    let d = kc.x * gv + kc.y * ({{x_in}}[x0 + k] - kc.w) + kc.z;
//#else
//#if SCALED
    let d = gv * {{SCALE_A}};
//#else
    let d = gv;
//#endif
//#endif
//#if ACC_A
    {{ta}}[ia + k] = {{ta}}[ia + k] + d;
//#else
    {{ta}}[ia + k] = d;
//#endif
//#endif
  }
}
