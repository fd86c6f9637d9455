// Batch norm in training mode, first half of the batch statistics: per (channel, chunk of images),
// the chunk's mean and sum of squared deviations (two passes over the chunk, so no catastrophic
// cancellation). bn_finalize.wgsl merges the chunks (Chan et al.'s pairwise formula).
// T is vec4<f32> when H*W is a multiple of 4. The input is a view (batch stride, offset).

{{BINDINGS}}

const C: u32 = {{C}};
const PLANE: u32 = {{PLANE}};              // H*W in units of T
const BATCH: u32 = {{N}};
const IMAGES_PER_CHUNK: u32 = {{IPC}};
const CHUNKS: u32 = {{NCH}};
const TOTAL: u32 = {{TOTAL}};              // C * CHUNKS
const X_BATCH_STRIDE: u32 = {{X_BS}};
const X_OFFSET: u32 = {{X_OFF}};
const PLANE_ELEMS: f32 = {{PLANE_ELEMS}};  // H*W as a float
//#include per_element

fn element(e: u32) {
  let c = e / CHUNKS;
  let j = e - c * CHUNKS;
  let n0 = j * IMAGES_PER_CHUNK;
  let n1 = min(n0 + IMAGES_PER_CHUNK, BATCH);
  var acc = {{T}}(0.0);
  for (var n = n0; n < n1; n++) {
    let base = n * X_BATCH_STRIDE + X_OFFSET + c * PLANE;
    for (var p = 0u; p < PLANE; p++) {
      acc += {{x_in}}[base + p];
    }
  }
  let count = f32(n1 - n0) * PLANE_ELEMS;
  let mean = {{REDUCE_ACC}} / count;
  var q = {{T}}(0.0);
  for (var n = n0; n < n1; n++) {
    let base = n * X_BATCH_STRIDE + X_OFFSET + c * PLANE;
    for (var p = 0u; p < PLANE; p++) {
      let d = {{x_in}}[base + p] - mean;
      q = fma(d, d, q);
    }
  }
  {{part}}[e] = vec2<f32>(mean, {{REDUCE_Q}});
}
