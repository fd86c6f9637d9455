// The entry point of a kernel with one invocation per element e < TOTAL: the kernel defines TOTAL
// and `fn element(e: u32)`. The dispatch is splitTiles(ceil(TOTAL / WG)) workgroups
// (src/codegen/kernels/common.ts): NX over x, the rest over z, so the linear workgroup is wid.x + wid.z * NX
// and the invocations of the last workgroup past TOTAL do nothing.

const NX: u32 = {{NX}};

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let e = (wid.x + wid.z * NX) * {{WG}}u + lid;
  if (e < TOTAL) {
    element(e);
  }
}
