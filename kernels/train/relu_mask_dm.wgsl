// Gradient of SNL's mask: y = v + m * (max(v, 0) - v) gives dL/dm = g * (max(v, 0) - v) =
// -g * min(v, 0), summed over the batch (a per-pixel mask: one entry per element of the ReLU's
// channels) or over the batch and the plane (a per-channel mask). One invocation per mask entry, so
// no two invocations write the same entry and no atomics are needed. v is the ReLU's input (the
// chain's value before the ReLU), g the gradient of its output.
//
// Arguments: C (the ReLU's channels), PLANE, N, the views G_BS, G_OFF (output gradient) and
// V_BS, V_OFF (the ReLU's input), RELU_START, and DM_OFF (the mask's gradient in `dm`).

{{BINDINGS}}

//#include per_element_args

fn element(e: u32) {
//#if PIXEL
  let c = args.RELU_START + e / args.PLANE;
  let p0 = e % args.PLANE;
  let p1 = p0 + 1u;
//#else
  let c = args.RELU_START + e;
  let p0 = 0u;
  let p1 = args.PLANE;
//#endif
  var s = 0.0;
  for (var n = 0u; n < args.N; n++) {
    let gb = n * args.G_BS + args.G_OFF + c * args.PLANE;
    let vb = n * args.V_BS + args.V_OFF + c * args.PLANE;
    for (var p = p0; p < p1; p++) {
      s = fma({{g_in}}[gb + p], -min({{v_in}}[vb + p], 0.0), s);
    }
  }
//#if ACC
  {{dm}}[args.DM_OFF + e] = {{dm}}[args.DM_OFF + e] + s;
//#else
  {{dm}}[args.DM_OFF + e] = s;
//#endif
}
