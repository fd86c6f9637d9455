// Convolution input gradient (training) as an implicit matrix product (the gpu profile's dX), NCHW,
// float32:
//   dx[n, ic, iy, ix] (=|+=) sum over oc of its group, ky, kx with iy = oy*S + ky - P, ix = ox*S + kx - P
//                             of dy[n, oc, oy, ox] * w[oc, ic, ky, kx]
// Per group the product is [CIG input channels] x [KDIM = COG * K * K] times [KDIM] x [NPIX =
// batch * IN_H * IN_W pixels]. Element (oc, ky, kx; pixel) of the second factor is the dy value
// that tap reads for that pixel, or zero where the tap does not reach it (off the stride, or past
// dy's border); it is gathered when its tile is loaded and never stored.
//
// The tiling is kernels/lib/gemm_tiles.wgsl's: rows are input channels, columns are input
// pixels. Weights are in the forward kernel's packed layout
// (kernels/lib/packed_conv.wgsl) at float index args.W_OFF of the parameter buffer, an argument so
// that layers whose shapes agree share this kernel.

{{BINDINGS}}
//#include packed_conv
//#include gemm_tiles

//#include conv_dx_views
const STRIDE: u32 = {{S}};
const PAD: i32 = {{PAD}};
const KSIZE: u32 = {{KSIZE}};
const KK: u32 = {{KK}};

// Weight (input channel icl of group g; term k = output channel * KK + tap).
fn aElement(g: u32, icl: u32, k: u32) -> f32 {
  if (k >= KDIM || icl >= CIG) {
    return 0.0;
  }
  let oc = k / KK;
  return {{wgt}}[args.W_OFF + packedWeight(packedBlock(g, oc), icl, k % KK) + oc % PACK_OCB];
}

// The dy value term k reaches input pixel p from: zero off the stride or past dy's border.
fn bElement(g: u32, k: u32, p: u32) -> f32 {
  if (k >= KDIM || p >= NPIX) {
    return 0.0;
  }
  let t = k % KK;
  let r = p % IHW;
  // dy row and column times the stride
  let ty = i32(r / IN_W) + PAD - i32(t / KSIZE);
  let tx = i32(r % IN_W) + PAD - i32(t % KSIZE);
  if (ty < 0 || tx < 0 || u32(ty) % STRIDE != 0u || u32(tx) % STRIDE != 0u) {
    return 0.0;
  }
  let oy = u32(ty) / STRIDE;
  let ox = u32(tx) / STRIDE;
  if (oy >= OUT_H || ox >= OUT_W) {
    return 0.0;
  }
  return {{dy}}[(p / IHW) * DY_BATCH_STRIDE + DY_OFFSET + (g * COG + k / KK) * OHW + oy * OUT_W + ox];
}

fn storeElement(g: u32, icl: u32, p: u32, v: f32) {
  let o = (p / IHW) * DX_BATCH_STRIDE + DX_OFFSET + (g * CIG + icl) * IHW + p % IHW;
//#if ACCUMULATE
  {{dx}}[o] = {{dx}}[o] + v;
//#else
  {{dx}}[o] = v;
//#endif
}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  storeTile(wid, lid, tileProduct(wid, lid));
}
