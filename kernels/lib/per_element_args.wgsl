// lib/per_element.wgsl for kernels whose sizes are dispatch arguments: the element count
// args.TOTAL and the workgroups along x, args.NX, come from the uniform, so one kernel serves every
// layer (the kernel defines `fn element(e: u32)`).

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let e = (wid.x + wid.z * args.NX) * {{WG}}u + lid;
  if (e < args.TOTAL) {
    element(e);
  }
}
