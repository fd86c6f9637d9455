// What both input-gradient kernels (kernels/train/conv_dx.wgsl and conv_dx_gemm.wgsl) declare:
// the planes, the dy and dx views, and the channel blocks of the packed layout (buildConvGrad in
// src/ops/conv/kernels/conv-grad.ts fills them in).

//#include conv_planes
const DY_BATCH_STRIDE: u32 = {{DY_BS}};
const DY_OFFSET: u32 = {{DY_OFF}};
const DX_BATCH_STRIDE: u32 = {{DX_BS}};
const DX_OFFSET: u32 = {{DX_OFF}};
const CIG: u32 = {{CIG}};            // input channels per group
const COG: u32 = {{COG}};            // output channels per group
const OCB: u32 = {{OCB}};            // output channels per packed block
const OB_PER_G: u32 = {{OBG}};
