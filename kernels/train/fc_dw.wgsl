// Fully connected backward, parameter gradients: dW[o, i] = sum_n dy[n, o] * x[n, i] and
// db[o] = sum_n dy[n, o]. The reduction is over the batch only, so each invocation owns one
// T-element of dW (or one bias) and loops over the images; the last OUT invocations do the biases.

{{BINDINGS}}

const IN: u32 = {{IN}};                    // input features in units of T
const OUT: u32 = {{OUT}};
const BATCH: u32 = {{N}};
const TOTAL: u32 = {{TOTAL}};              // OUT * IN + OUT
const G_BATCH_STRIDE: u32 = {{G_BS}};
const G_OFFSET: u32 = {{G_OFF}};
const X_BATCH_STRIDE: u32 = {{X_BS}};
const X_OFFSET: u32 = {{X_OFF}};
const GW_OFFSET: u32 = {{GW_OFF}};         // floats
const GB_OFFSET: u32 = {{GB_OFF}};         // floats
//#include per_element

fn element(e: u32) {
  if (e < OUT * IN) {
    let o = e / IN;
    let i = e - o * IN;
    var acc = {{T}}(0.0);
    for (var n = 0u; n < BATCH; n++) {
      acc = fma({{T}}({{g_in}}[n * G_BATCH_STRIDE + G_OFFSET + o]), {{x_in}}[n * X_BATCH_STRIDE + X_OFFSET + i], acc);
    }
    let at = GW_OFFSET + e * {{VEC}}u;
//#if VEC4
    {{grad}}[at + 0u] = acc.x;
    {{grad}}[at + 1u] = acc.y;
    {{grad}}[at + 2u] = acc.z;
    {{grad}}[at + 3u] = acc.w;
//#else
    {{grad}}[at] = acc;
//#endif
  } else {
    let o = e - OUT * IN;
    var s = 0.0;
    for (var n = 0u; n < BATCH; n++) {
      s += {{g_in}}[n * G_BATCH_STRIDE + G_OFFSET + o];
    }
    {{grad}}[GB_OFFSET + o] = s;
  }
}
