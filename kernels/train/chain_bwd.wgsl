// Backward of an elementwise chain [bn] [add] [relu on a channel range] (the chains the forward
// pass fuses), and of a plain gradient copy. Per element of the chain's output gradient g:
//   gm = g, masked to 0 on the ReLU's channels where the chain's output is not positive;
//   the add's other operand receives gm                       (target b);
//   the chain's first input receives gm, or through batch norm A*gm + B*(x - mean) + C'   (target a).
// Each target is a view (batch stride, offset) and is written (=) or accumulated (+=) as the
// training plan decided for the gradient buffer it lands in. T is vec4<f32> when H*W % 4 == 0.

{{BINDINGS}}

const C: u32 = {{C}};
const PLANE: u32 = {{PLANE}};
const TOTAL: u32 = {{TOTAL}};
const G_BATCH_STRIDE: u32 = {{G_BS}};
const G_OFFSET: u32 = {{G_OFF}};
//#if RELU
const O_BATCH_STRIDE: u32 = {{O_BS}};
const O_OFFSET: u32 = {{O_OFF}};
const RELU_START: u32 = {{RELU_START}};
const RELU_END: u32 = {{RELU_END}};
//#endif
//#if BN
const X_BATCH_STRIDE: u32 = {{X_BS}};
const X_OFFSET: u32 = {{X_OFF}};
//#endif
//#if TA
const A_BATCH_STRIDE: u32 = {{A_BS}};
const A_OFFSET: u32 = {{A_OFF}};
//#endif
//#if TB
const B_BATCH_STRIDE: u32 = {{B_BS}};
const B_OFFSET: u32 = {{B_OFF}};
//#endif
//#include per_element

fn element(e: u32) {
  let p = e % PLANE;
  let t = e / PLANE;
  let c = t % C;
  let n = t / C;
  var gv = {{g_in}}[n * G_BATCH_STRIDE + G_OFFSET + c * PLANE + p];
//#if RELU
  if (c >= RELU_START && c < RELU_END) {
    gv = select({{T}}(0.0), gv, {{o_in}}[n * O_BATCH_STRIDE + O_OFFSET + c * PLANE + p] > {{T}}(0.0));
  }
//#endif
//#if TB
  let ib = n * B_BATCH_STRIDE + B_OFFSET + c * PLANE + p;
//#if ACC_B
  {{tb}}[ib] = {{tb}}[ib] + gv;
//#else
  {{tb}}[ib] = gv;
//#endif
//#endif
//#if TA
//#if BN
  let k = {{coef}}[c];
  let d = k.x * gv + k.y * ({{x_in}}[n * X_BATCH_STRIDE + X_OFFSET + c * PLANE + p] - k.w) + k.z;
//#else
  let d = gv{{SCALE_A}};
//#endif
  let ia = n * A_BATCH_STRIDE + A_OFFSET + c * PLANE + p;
//#if ACC_A
  {{ta}}[ia] = {{ta}}[ia] + d;
//#else
  {{ta}}[ia] = d;
//#endif
//#endif
}
