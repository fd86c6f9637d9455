// Index of the largest of K logits per image (the first one on ties), one invocation per image.

{{BINDINGS}}

const K: u32 = {{K}};
const TOTAL: u32 = {{TOTAL}};          // batch: one element per image
//#include per_element

fn element(n: u32) {
  let base = n * K;
  var best = 0u;
  var bv = {{x_in}}[base];
  for (var i = 1u; i < K; i++) {
    let v = {{x_in}}[base + i];
    if (v > bv) {
      bv = v;
      best = i;
    }
  }
  {{y_out}}[n] = best;
}
