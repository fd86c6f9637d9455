// The geometry of K x K max pooling with stride S and P rows and columns of padding on each side
// (padding never wins a window), shared by the forward and the backward kernel;
// src/ops/maxpool/kernels.ts (`shapeValues`) fills it in.

const C: u32 = {{C}};
const IH: u32 = {{IH}};
const IW: u32 = {{IW}};
const OH: u32 = {{OH}};
const OW: u32 = {{OW}};
const K: u32 = {{K}};
const S: u32 = {{S}};
const P: u32 = {{P}};

// The window of output (oh, ow) clipped to the input: rows [r0, r1), columns [c0, c1). Window
// coordinates are shifted by P so that they stay unsigned.
fn windowRows(oh: u32) -> vec2<u32> {
  return vec2<u32>(max(oh * S, P) - P, min(oh * S + K, IH + P) - P);
}
fn windowCols(ow: u32) -> vec2<u32> {
  return vec2<u32>(max(ow * S, P) - P, min(ow * S + K, IW + P) - P);
}
