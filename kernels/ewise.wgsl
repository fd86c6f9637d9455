// Elementwise over an NCHW activation, one kernel for every combination the graph needs:
//   out = relu_range( [bn:] a * scale[c] + shift[c]   [add:] + b )
// Covers a standalone batch norm (not foldable into a convolution), residual add, ReLU on a
// channel range (identity on the other channels), their fusions (bn -> add -> relu), and a plain
// copy (concatenation inputs that cannot be written in place). Inputs and the output are views
// (batch stride and element offset per view), so slices read and concatenations write in place.
// T is vec4<f32> when the plane H*W is a multiple of 4 (every view offset then is too), else f32.
// One invocation per T element; no barriers.

{{BINDINGS}}

const C: u32 = {{C}};
const PLANE: u32 = {{PLANE}};          // H*W in units of T
const TOTAL: u32 = {{TOTAL}};          // batch * C * PLANE
const A_BATCH_STRIDE: u32 = {{A_BS}};
const A_OFFSET: u32 = {{A_OFF}};
const OUT_BATCH_STRIDE: u32 = {{OUT_BS}};
const OUT_OFFSET: u32 = {{OUT_OFF}};
//#if ADD
const B_BATCH_STRIDE: u32 = {{B_BS}};
const B_OFFSET: u32 = {{B_OFF}};
//#endif
//#if RELU
const RELU_START: u32 = {{RELU_START}};
const RELU_END: u32 = {{RELU_END}};
//#endif
//#include per_element

fn element(e: u32) {
  let p = e % PLANE;
  let t = e / PLANE;
  let c = t % C;
  let n = t / C;
  var v = {{a_in}}[n * A_BATCH_STRIDE + A_OFFSET + c * PLANE + p];
//#if BN
  v = v * {{scale}}[c] + {{shift}}[c];
//#endif
//#if ADD
  v = v + {{b_in}}[n * B_BATCH_STRIDE + B_OFFSET + c * PLANE + p];
//#endif
//#if RELU
  if (c >= RELU_START && c < RELU_END) {
    v = max(v, {{T}}(0.0));
  }
//#endif
  {{y_out}}[n * OUT_BATCH_STRIDE + OUT_OFFSET + c * PLANE + p] = v;
}
