// The sizes and views both forward convolution kernels declare (kernels/conv.wgsl and
// kernels/conv_gemm.wgsl); forwardConvValues (src/ops/conv/kernels/conv-forward-values.ts) fills
// them in.

const IN_H: u32 = {{IH}};
const IN_W: u32 = {{IW}};
const OUT_H: u32 = {{OH}};
const OUT_W: u32 = {{OW}};
const OUT_HW: u32 = {{OHW}};
const IN_BATCH_STRIDE: u32 = {{IN_BS}};
const IN_OFFSET: u32 = {{IN_OFF}};
const OUT_BATCH_STRIDE: u32 = {{OUT_BS}};
const OUT_OFFSET: u32 = {{OUT_OFF}};
//#if RESIDUAL
const RES_BATCH_STRIDE: u32 = {{RES_BS}};
const RES_OFFSET: u32 = {{RES_OFF}};
//#endif
const STRIDE: u32 = {{STRIDE}};
const PAD: i32 = {{PAD}};
const KSIZE: u32 = {{KSIZE}};
const CIG: u32 = {{CIG}};          // input channels per group
const COG: u32 = {{COG}};          // output channels per group
