// Global average pooling: C x H x W -> C x 1 x 1, one invocation per (image, channel).
// T is vec4<f32> when H*W is a multiple of 4 (then the four partial sums are added at the end).

{{BINDINGS}}

const C: u32 = {{C}};
const PLANE: u32 = {{PLANE}};          // H*W in units of T
const TOTAL: u32 = {{TOTAL}};          // batch * C
const IN_BATCH_STRIDE: u32 = {{IN_BS}};
const IN_OFFSET: u32 = {{IN_OFF}};
const OUT_BATCH_STRIDE: u32 = {{OUT_BS}};
const OUT_OFFSET: u32 = {{OUT_OFF}};
//#include per_element

fn element(e: u32) {
  let c = e % C;
  let n = e / C;
  let base = n * IN_BATCH_STRIDE + IN_OFFSET + c * PLANE;
  var acc = {{T}}(0.0);
  for (var i = 0u; i < PLANE; i++) {
    acc += {{x_in}}[base + i];
  }
//#if VEC4
  {{y_out}}[n * OUT_BATCH_STRIDE + OUT_OFFSET + c] = (acc.x + acc.y + acc.z + acc.w) * {{INV_HW}};
//#else
  {{y_out}}[n * OUT_BATCH_STRIDE + OUT_OFFSET + c] = acc * {{INV_HW}};
//#endif
}
