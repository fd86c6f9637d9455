// Backward of a training-mode batch norm (optionally followed by a residual add and a ReLU on a
// channel range, fused in the forward pass), first half: per (channel, chunk of images) the partial
// sums of gm and gm * xhat, where gm is the gradient reaching the batch norm's output (the chain's
// output gradient with the ReLU mask applied: the mask is read from the chain's output, out > 0,
// which holds exactly where the ReLU's input was positive) and xhat = (x - mean) * inv_std.

{{BINDINGS}}

const C: u32 = {{C}};
const PLANE: u32 = {{PLANE}};
const BATCH: u32 = {{N}};
const IMAGES_PER_CHUNK: u32 = {{IPC}};
const CHUNKS: u32 = {{NCH}};
const TOTAL: u32 = {{TOTAL}};
const G_BATCH_STRIDE: u32 = {{G_BS}};
const G_OFFSET: u32 = {{G_OFF}};
const X_BATCH_STRIDE: u32 = {{X_BS}};
const X_OFFSET: u32 = {{X_OFF}};
//#if RELU
const O_BATCH_STRIDE: u32 = {{O_BS}};
const O_OFFSET: u32 = {{O_OFF}};
const RELU_START: u32 = {{RELU_START}};
const RELU_END: u32 = {{RELU_END}};
//#endif
const STATS_OFFSET: u32 = {{ST_OFF}};
//#include per_element

fn element(e: u32) {
  let c = e / CHUNKS;
  let j = e - c * CHUNKS;
  let n0 = j * IMAGES_PER_CHUNK;
  let n1 = min(n0 + IMAGES_PER_CHUNK, BATCH);
  let mean = {{st}}[STATS_OFFSET + 2u * c];
  var sg = {{T}}(0.0);
  var sgx = {{T}}(0.0);
//#if RELU
  let masked = c >= RELU_START && c < RELU_END;
//#endif
  for (var n = n0; n < n1; n++) {
    let gb = n * G_BATCH_STRIDE + G_OFFSET + c * PLANE;
    let xb = n * X_BATCH_STRIDE + X_OFFSET + c * PLANE;
//#if RELU
    let ob = n * O_BATCH_STRIDE + O_OFFSET + c * PLANE;
//#endif
    for (var p = 0u; p < PLANE; p++) {
      var gv = {{g_in}}[gb + p];
//#if RELU
      if (masked) {
        gv = select({{T}}(0.0), gv, {{o_in}}[ob + p] > {{T}}(0.0));
      }
//#endif
      sg += gv;
      sgx = fma(gv, {{x_in}}[xb + p] - mean, sgx);
    }
  }
  {{part}}[e] = vec2<f32>({{REDUCE_SG}}, {{REDUCE_SGX}} * {{st}}[STATS_OFFSET + 2u * c + 1u]);
}
