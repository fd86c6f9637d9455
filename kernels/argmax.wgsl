// Index of the largest of K logits per image (the first one on ties), one invocation per image.

{{BINDINGS}}

const K: u32 = {{K}};
const BATCH: u32 = {{BATCH}};

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = gid.x;
  if (n >= BATCH) {
    return;
  }
  let base = n * K;
  var best = 0u;
  var bv = x_in[base];
  for (var i = 1u; i < K; i++) {
    let v = x_in[base + i];
    if (v > bv) {
      bv = v;
      best = i;
    }
  }
  y_out[n] = best;
}
