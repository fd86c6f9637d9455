// Gradient of SNL's mask: y = v + m * (max(v, 0) - v) gives dL/dm = g * (max(v, 0) - v) =
// -g * min(v, 0), summed over the batch (a per-pixel mask: one entry per element of the ReLU's
// channels) or over the batch and the plane (a per-channel mask), passed straight through the
// clamp of m to [0, 1]. One invocation per mask entry, so no two write the same entry. v is the
// ReLU's input, g the gradient of its output.
//
// The uniform's `l1` adds SNL's L1 penalty l1 * |m| (gradient l1 where the entry is positive: an
// entry at or below 0 is linear already, and the penalty stops pushing it); `frozen` = 1 writes 0
// (the fine-tuning after binarization keeps the masks fixed).
//
// Arguments: PLANE, N, the views G_BS, G_OFF (output gradient) and V_BS, V_OFF (the ReLU's input),
// RELU_START, M_OFF (the mask in `mask`) and DM_OFF (its gradient in `dm`).

{{BINDINGS}}
@group(0) @binding({{UNIFORM_BINDING}}) var<uniform> hp: Hyper;

struct Hyper {
  lr: f32,
  warm: f32,
  l1: f32,
  frozen: f32,
}

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
  s = s + select(0.0, hp.l1, {{mask}}[args.M_OFF + e] > 0.0);
  s = select(s, 0.0, hp.frozen != 0.0);
//#if ACC
  {{dm}}[args.DM_OFF + e] = {{dm}}[args.DM_OFF + e] + s;
//#else
  {{dm}}[args.DM_OFF + e] = s;
//#endif
}
