// The packed convolution layout, the one place the kernels compute it (the host packs and
// unpacks it in src/program/param-layout.ts). Output channel ocl of group g is lane ocl % OCB of
// block g * OB_PER_G + ocl / OCB. A block's weights hold, for each input channel of the group and
// each kernel tap t = ky * K + kx, its OCB lanes; its bias holds its OCB lanes. Indices are in
// floats; a vec4 index is a float index / 4 (OCB is a multiple of 4). packedConvValues
// (src/codegen/conv-layout.ts) fills the constants in.

const PACK_CIG: u32 = {{PACK_CIG}};
const PACK_KK: u32 = {{PACK_KK}};
const PACK_OCB: u32 = {{PACK_OCB}};
const PACK_OB_PER_G: u32 = {{PACK_OBG}};

// The block that holds output channel ocl (counted within its group) of group g.
fn packedBlock(g: u32, ocl: u32) -> u32 {
  return g * PACK_OB_PER_G + ocl / PACK_OCB;
}

// Where block ob's weights for input channel ic of the group and tap t start (lane 0).
fn packedWeight(ob: u32, ic: u32, t: u32) -> u32 {
  return ((ob * PACK_CIG + ic) * PACK_KK + t) * PACK_OCB;
}

// Where the bias of output channel ocl of group g is.
fn packedBias(g: u32, ocl: u32) -> u32 {
  return packedBlock(g, ocl) * PACK_OCB + ocl % PACK_OCB;
}
