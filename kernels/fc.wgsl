// Fully connected layer: y[n, o] = sum_i W[o, i] * x[n, i] + b[o], W row-major [out, in], x the
// flattened NCHW input (a view: batch stride and offset). One invocation per (image, output);
// T is vec4<f32> when `in` (and the view's offset and batch stride) are multiples of 4.

{{BINDINGS}}

const IN: u32 = {{IN}};                // input features in units of T
const OUT: u32 = {{OUT}};
const TOTAL: u32 = {{TOTAL}};          // batch * OUT
const IN_BATCH_STRIDE: u32 = {{IN_BS}};
const IN_OFFSET: u32 = {{IN_OFF}};
const OUT_BATCH_STRIDE: u32 = {{OUT_BS}};
const OUT_OFFSET: u32 = {{OUT_OFF}};
//#include per_element

fn element(e: u32) {
  let o = e % OUT;
  let n = e / OUT;
  let xb = n * IN_BATCH_STRIDE + IN_OFFSET;
  let wb = o * IN;
  var acc = {{T}}(0.0);
  for (var i = 0u; i < IN; i++) {
    acc = fma({{wgt}}[wb + i], {{x_in}}[xb + i], acc);
  }
  {{y_out}}[n * OUT_BATCH_STRIDE + OUT_OFFSET + o] = {{REDUCE}} + {{bias}}[o];
}
