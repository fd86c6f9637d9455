// 2-D convolution as an implicit matrix product (the gpu profile's forward kernel), NCHW,
// float32, with the inference kernel's fused epilogue:
//   out = relu_range(conv(in, w) + bias [+ res])
// Per group the product is [COG output channels] x [KDIM = CIG * K * K] times [KDIM] x [NPIX =
// batch * OUT_H * OUT_W pixels]; the input matrix is never stored, each of its elements is gathered
// from the image when its tile is loaded (zero in the padding).
//
// The tiling is kernels/lib/gemm_tiles.wgsl's: rows are output channels, columns are output
// pixels. Many small invocations and shared tiles are what a GPU wants; on a
// CPU driver a workgroup-memory read is a loop over the lanes, so the cpu profile never picks this
// kernel.
//
// Weights are in the packed layout of the direct kernel (kernels/lib/packed_conv.wgsl), read one
// float at a time.

//#include enables
{{BINDINGS}}
//#include packed_conv
//#include conv_forward
//#include gemm_tiles
//#if RELU
const RELU_START: u32 = {{RELU_START}};
const RELU_END: u32 = {{RELU_END}};
//#endif
const KK: u32 = {{KK}};

// Weight (output channel ocl of group g; term k = input channel * KK + tap).
fn aElement(g: u32, ocl: u32, k: u32) -> f32 {
  if (k >= KDIM || ocl >= COG) {
    return 0.0;
  }
  let i = packedWeight(packedBlock(g, ocl), k / KK, k % KK) + ocl % PACK_OCB;
  return f32({{wgt}}[i / 4u][i % 4u]);
}

// The input value term k reads for output pixel p (zero in the padding).
fn bElement(g: u32, k: u32, p: u32) -> f32 {
  if (k >= KDIM || p >= NPIX) {
    return 0.0;
  }
  let t = k % KK;
  let r = p % OUT_HW;
  let iy = i32((r / OUT_W) * STRIDE + t / KSIZE) - PAD;
  let ix = i32((r % OUT_W) * STRIDE + t % KSIZE) - PAD;
  if (u32(iy) >= IN_H || u32(ix) >= IN_W) {
    return 0.0;
  }
  return {{x_in}}[(p / OUT_HW) * IN_BATCH_STRIDE + IN_OFFSET + (g * CIG + k / KK) * (IN_H * IN_W) + u32(iy) * IN_W + u32(ix)];
}

// The epilogue: bias, residual, ReLU range.
fn storeElement(g: u32, ocl: u32, p: u32, v: f32) {
  let n = p / OUT_HW;
  let r = p % OUT_HW;
  let oc = g * COG + ocl;
  var e = v + {{bias}}[packedBias(g, ocl)];
//#if RESIDUAL
  e += {{r_in}}[n * RES_BATCH_STRIDE + RES_OFFSET + oc * OUT_HW + r];
//#endif
//#if RELU
  if (oc >= RELU_START && oc < RELU_END) {
    e = max(e, 0.0);
  }
//#endif
  {{y_out}}[n * OUT_BATCH_STRIDE + OUT_OFFSET + oc * OUT_HW + r] = e;
}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  storeTile(wid, lid, tileProduct(wid, lid));
}
