// Global average pooling backward: every one of the H*W positions of (n, c) receives
// dy[n, c] / (H*W); written (=) or accumulated (+=) into the input's gradient view.
// T is vec4<f32> when H*W % 4 == 0.

{{BINDINGS}}

const C: u32 = {{C}};
const PLANE: u32 = {{PLANE}};              // H*W in units of T
const TOTAL: u32 = {{TOTAL}};              // batch * C * PLANE
const G_BATCH_STRIDE: u32 = {{G_BS}};
const G_OFFSET: u32 = {{G_OFF}};
const DX_BATCH_STRIDE: u32 = {{DX_BS}};
const DX_OFFSET: u32 = {{DX_OFF}};
//#include per_element

fn element(e: u32) {
  let p = e % PLANE;
  let t = e / PLANE;
  let c = t % C;
  let n = t / C;
  let v = {{T}}({{g_in}}[n * G_BATCH_STRIDE + G_OFFSET + c] * {{INV_HW}});
  let i = n * DX_BATCH_STRIDE + DX_OFFSET + c * PLANE + p;
//#if ACC
  {{dx}}[i] = {{dx}}[i] + v;
//#else
  {{dx}}[i] = v;
//#endif
}
