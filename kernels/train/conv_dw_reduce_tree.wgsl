// conv_dw_reduce.wgsl shaped for a GPU, where a few thousand invocations each adding hundreds of
// chunks would leave the device idle: LANES invocations share each gradient vec4, each adding every
// LANES-th chunk, and a tree in workgroup memory adds their LANES sums. A workgroup covers WG / LANES
// consecutive vec4s, and neighbouring invocations read neighbouring vec4s of a chunk.

{{BINDINGS}}

// Every size is an argument, as in conv_dw_reduce.wgsl: args.TOTAL vec4s of the gradient,
// args.CHUNKS partial tiles, written at vec4 index args.OUT_OFF; args.NX workgroups along x.
const LANES: u32 = {{LANES}}u;
const PER_WG: u32 = {{WG}}u / LANES;

var<workgroup> sums: array<vec4<f32>, {{WG}}>;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let e = lid % PER_WG;
  let lane = lid / PER_WG;
  let i = (wid.x + wid.z * args.NX) * PER_WG + e;
  var acc = vec4<f32>(0.0);
  if (i < args.TOTAL) {
    for (var c = lane; c < args.CHUNKS; c += LANES) {
      acc += {{part}}[c * args.TOTAL + i];
    }
  }
  sums[lid] = acc;
  workgroupBarrier();
  for (var half = LANES / 2u; half > 0u; half = half / 2u) {
    if (lane < half) {
      sums[lid] += sums[lid + half * PER_WG];
    }
    workgroupBarrier();
  }
  if (lane == 0u && i < args.TOTAL) {
    {{grad}}[args.OUT_OFF + i] = sums[lid];
  }
}
