// The entry point of a kernel that may share loads across a subgroup (SUBGROUPS): each invocation
// then knows its lane, its index within the subgroup modulo the width the kernel was generated
// for (LANE_MASK = width - 1).
@compute @workgroup_size({{WG}})
//#if SUBGROUPS
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) sg_id: u32) {
  let lane = sg_id & {{LANE_MASK}};
//#else
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
//#endif
