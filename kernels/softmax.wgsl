// Row-wise softmax of [batch, K] logits (max-subtracted), one invocation per image.

{{BINDINGS}}

const K: u32 = {{K}};
const TOTAL: u32 = {{TOTAL}};          // batch: one element per image
//#include per_element

fn element(n: u32) {
  let base = n * K;
  var m = {{x_in}}[base];
  for (var i = 1u; i < K; i++) {
    m = max(m, {{x_in}}[base + i]);
  }
  var s = 0.0;
  for (var i = 0u; i < K; i++) {
    s += exp({{x_in}}[base + i] - m);
  }
  let inv = 1.0 / s;
  for (var i = 0u; i < K; i++) {
    {{y_out}}[base + i] = exp({{x_in}}[base + i] - m) * inv;
  }
}
