// The geometry of K x K max pooling with stride S and no padding, shared by the forward and the
// backward kernel; src/codegen/kernels/maxpool.ts (`shapeValues`) fills it in.

const C: u32 = {{C}};
const IH: u32 = {{IH}};
const IW: u32 = {{IW}};
const OH: u32 = {{OH}};
const OW: u32 = {{OW}};
const K: u32 = {{K}};
const S: u32 = {{S}};
