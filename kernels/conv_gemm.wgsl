// Direct 2-D convolution as an implicit matrix product (the gpu profile's forward kernel), NCHW,
// float32, with the inference kernel's fused epilogue:
//   out = relu_range(conv(in, w) + bias [+ res])
// Per group the product is [COG output channels] x [KDIM = CIG * K * K] times [KDIM] x [NPIX =
// batch * OUT_H * OUT_W pixels]; the input matrix is never stored, each of its elements is gathered
// from the image when its tile is loaded (zero in the padding).
//
// A workgroup owns a TM x TN tile of the output (channels x pixels, pixels counted across the whole
// batch) and walks KDIM in steps of TK: its invocations copy the step's TK x TM weights and TK x TN
// input elements into workgroup memory together, wait, and each adds TK rank-1 products into its
// own registers: 4 channels x PXB pixels, the pixels TNT apart so that neighbouring invocations
// read and write neighbouring pixels. Many small invocations and shared tiles are what a GPU wants;
// on a CPU driver a workgroup-memory read is a loop over the lanes, so the cpu profile never picks
// this kernel.
//
// Weights are in the packed layout of the direct kernel (kernels/lib/packed_conv.wgsl), read one
// float at a time.

{{ENABLE}}
{{BINDINGS}}
//#include packed_conv

//#include conv_forward
//#if RELU
const RELU_START: u32 = {{RELU_START}};
const RELU_END: u32 = {{RELU_END}};
//#endif
const KK: u32 = {{KK}};
const KDIM: u32 = {{KDIM}};          // CIG * KK: the length of each product
const NPIX: u32 = {{NPIX}};          // output pixels of the whole batch
const TM: u32 = {{TM}};              // output channels per workgroup tile
const TN: u32 = {{TN}};              // pixels per workgroup tile
const TK: u32 = {{TK}};              // product terms per step
const TNT: u32 = {{TNT}};            // invocations along the pixels (TN / PXB)
const PXB: u32 = {{PXB}};            // pixels per invocation
const M_TILES: u32 = {{MT}};         // channel tiles per group
const NX: u32 = {{NX}};              // workgroups along x (the rest go along z)
const WG: u32 = {{WG}}u;

var<workgroup> w_tile: array<f32, TK * TM>;
var<workgroup> x_tile: array<f32, TK * TN>;

fn weightAt(i: u32) -> f32 {
  return f32({{wgt}}[i / 4u][i % 4u]);
}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let p0 = (wid.x + wid.z * NX) * TN;
  let g = wid.y / M_TILES;
  let m0 = (wid.y - g * M_TILES) * TM;
  let tn = lid % TNT;
  let tm = lid / TNT;
  let x_group = IN_OFFSET + g * CIG * IN_H * IN_W;
  var acc: array<vec4<f32>, PXB>;
  // Every invocation runs every step, so the barriers are reached in uniform control flow.
  for (var k0 = 0u; k0 < KDIM; k0 += TK) {
    for (var e = lid; e < TK * TM; e += WG) {
      let k = k0 + e / TM;
      let ocl = m0 + e % TM;
      var v = 0.0;
      if (k < KDIM && ocl < COG) {
        v = weightAt(packedWeight(packedBlock(g, ocl), k / KK, k % KK) + ocl % PACK_OCB);
      }
      w_tile[e] = v;
    }
    for (var e = lid; e < TK * TN; e += WG) {
      let k = k0 + e / TN;
      let p = p0 + e % TN;
      var v = 0.0;
      if (k < KDIM && p < NPIX) {
        let t = k % KK;
        let n = p / OUT_HW;
        let r = p % OUT_HW;
        let iy = i32((r / OUT_W) * STRIDE + t / KSIZE) - PAD;
        let ix = i32((r % OUT_W) * STRIDE + t % KSIZE) - PAD;
        if (u32(iy) < IN_H && u32(ix) < IN_W) {
          v = {{x_in}}[n * IN_BATCH_STRIDE + x_group + (k / KK) * (IN_H * IN_W) + u32(iy) * IN_W + u32(ix)];
        }
      }
      x_tile[e] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      let wb = kk * TM + tm * 4u;
      let w = vec4<f32>(w_tile[wb], w_tile[wb + 1u], w_tile[wb + 2u], w_tile[wb + 3u]);
      for (var j = 0u; j < PXB; j++) {
        acc[j] = fma(w, vec4<f32>(x_tile[kk * TN + tn + j * TNT]), acc[j]);
      }
    }
    workgroupBarrier();
  }
  for (var j = 0u; j < PXB; j++) {
    let p = p0 + tn + j * TNT;
    if (p < NPIX) {
      let n = p / OUT_HW;
      let r = p % OUT_HW;
      for (var c = 0u; c < 4u; c++) {
        let ocl = m0 + tm * 4u + c;
        if (ocl < COG) {
          let oc = g * COG + ocl;
          var e = acc[j][c] + {{bias}}[packedBias(g, ocl)];
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
      }
    }
  }
}
