// Batch norm in training mode, second half: per channel, merges the chunks' (mean, M2) into the
// batch mean and biased variance, then writes
//   stats  (mean, 1/sqrt(var + eps))          what the backward pass needs,
//   scale = gamma / sqrt(var + eps), shift = beta - mean * scale   what the forward apply uses,
// and updates the running statistics as PyTorch does (unbiased variance, momentum MOMENTUM).

{{BINDINGS}}

// Every scalar is an argument (args.NAME), so all batch norms share this one kernel:
//   C channels, NCH chunks of IPC images of N, PLANE_ELEMS = H*W, COUNT = N*H*W,
//   UNBIAS = COUNT / (COUNT - 1), EPS, MOMENTUM, and the float offsets of gamma, beta (parameter
//   buffer), stats, scale, shift (bn state) and the running mean and variance.

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= args.C) {
    return;
  }
  var s = 0.0;
  for (var j = 0u; j < args.NCH; j++) {
//#if SPLIT
    // A schedule that cuts planes too: chunk j is image chunk j / PCH and plane chunk j % PCH, PPC of the PLANE elements.
    let ji = j / args.PCH;
    let jp = j - ji * args.PCH;
    let nj = f32((min((ji + 1u) * args.IPC, args.N) - ji * args.IPC) * (min((jp + 1u) * args.PPC, args.PLANE) - jp * args.PPC));
//#else
    let nj = f32(min((j + 1u) * args.IPC, args.N) - j * args.IPC) * args.PLANE_ELEMS;
//#endif
    s = fma(nj, {{part}}[c * args.NCH + j].x, s);
  }
  let mean = s / args.COUNT;
  var m2 = 0.0;
  for (var j = 0u; j < args.NCH; j++) {
//#if SPLIT
    let ji = j / args.PCH;
    let jp = j - ji * args.PCH;
    let nj = f32((min((ji + 1u) * args.IPC, args.N) - ji * args.IPC) * (min((jp + 1u) * args.PPC, args.PLANE) - jp * args.PPC));
//#else
    let nj = f32(min((j + 1u) * args.IPC, args.N) - j * args.IPC) * args.PLANE_ELEMS;
//#endif
    let p = {{part}}[c * args.NCH + j];
    let d = p.x - mean;
    m2 += p.y + nj * d * d;
  }
  let variance = m2 / args.COUNT;
  let inv_std = inverseSqrt(variance + args.EPS);
  let scale = {{prm}}[args.GAMMA_OFF + c] * inv_std;
  {{st}}[args.ST_OFF + 2u * c] = mean;
  {{st}}[args.ST_OFF + 2u * c + 1u] = inv_std;
  {{st}}[args.SC_OFF + c] = scale;
  {{st}}[args.SH_OFF + c] = {{prm}}[args.BETA_OFF + c] - mean * scale;
  {{run}}[args.RM_OFF + c] = (1.0 - args.MOMENTUM) * {{run}}[args.RM_OFF + c] + args.MOMENTUM * mean;
  {{run}}[args.RV_OFF + c] = (1.0 - args.MOMENTUM) * {{run}}[args.RV_OFF + c] + args.MOMENTUM * variance * args.UNBIAS;
}
