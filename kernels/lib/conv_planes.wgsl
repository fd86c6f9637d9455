// The input and output planes of a convolution as its gradient kernels declare them
// (kernels/train/conv_dx.wgsl, conv_dx_gemm.wgsl and conv_dw.wgsl); planeValues
// (src/codegen/conv-layout.ts) fills them in.

const IN_H: u32 = {{IH}};
const IN_W: u32 = {{IW}};
const IHW: u32 = {{IHW}};
const OUT_H: u32 = {{OH}};
const OUT_W: u32 = {{OW}};
const OHW: u32 = {{OHW}};
