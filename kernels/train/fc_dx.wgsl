// Fully connected backward, input gradient: dx[n, i] = sum_o dy[n, o] * W[o, i], W row-major
// [out, in] in the parameter buffer. One invocation per (image, T-element of the input);
// T is vec4<f32> when `in` (and the views) are multiples of 4. Written or accumulated.

{{BINDINGS}}

const IN: u32 = {{IN}};                    // input features in units of T
const OUT: u32 = {{OUT}};
const TOTAL: u32 = {{TOTAL}};              // batch * IN
const G_BATCH_STRIDE: u32 = {{G_BS}};
const G_OFFSET: u32 = {{G_OFF}};
const W_OFFSET: u32 = {{W_OFF}};           // in units of T
const DX_BATCH_STRIDE: u32 = {{DX_BS}};
const DX_OFFSET: u32 = {{DX_OFF}};
//#include per_element

fn element(e: u32) {
  let i = e % IN;
  let n = e / IN;
  let gb = n * G_BATCH_STRIDE + G_OFFSET;
  var acc = {{T}}(0.0);
  for (var o = 0u; o < OUT; o++) {
    acc = fma({{T}}({{g_in}}[gb + o]), {{prm}}[W_OFFSET + o * IN + i], acc);
  }
  let at = n * DX_BATCH_STRIDE + DX_OFFSET + i;
//#if ACC
  {{dx}}[at] = {{dx}}[at] + acc;
//#else
  {{dx}}[at] = acc;
//#endif
}
