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
const NX: u32 = {{NX}};

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let e = (wid.x + wid.z * NX) * {{WG}}u + lid;
  if (e >= TOTAL) {
    return;
  }
  let o = e % OUT;
  let n = e / OUT;
  let xb = n * IN_BATCH_STRIDE + IN_OFFSET;
  let wb = o * IN;
  var acc = {{T}}(0.0);
  for (var i = 0u; i < IN; i++) {
    acc = fma(wgt[wb + i], x_in[xb + i], acc);
  }
  y_out[n * OUT_BATCH_STRIDE + OUT_OFFSET + o] = {{REDUCE}} + bias[o];
}
