// The implicit-product kernels' tiling (kernels/conv_gemm.wgsl and kernels/train/conv_dx_gemm.wgsl),
// the one place it is written. Per group, the result is ROWS channels x NPIX columns (pixels of the
// whole batch), a product over KDIM terms. A workgroup owns a TM x TN tile of it and walks the
// terms in steps of TK: its invocations copy the step's TK x TM elements of the first factor and
// TK x TN of the second into workgroup memory together, wait, and each adds its 4 rows x PXB
// columns of the step's products in registers, its columns TNT apart so that neighbouring
// invocations touch neighbouring pixels.
//
// The kernel says what the factors and the result are, by defining
//   fn aElement(g: u32, row: u32, k: u32) -> f32     (zero when row >= ROWS or k >= KDIM)
//   fn bElement(g: u32, k: u32, col: u32) -> f32     (zero when k >= KDIM or col >= NPIX)
//   fn storeElement(g: u32, row: u32, col: u32, v: f32)   (called inside the result only)
// and its entry point calls storeTile(wid, lid, tileProduct(wid, lid)). gemmTileValues
// (src/ops/conv/kernels/conv-gemm.ts) fills the sizes in.

const ROWS: u32 = {{ROWS}};          // channels of the result per group
const NPIX: u32 = {{NPIX}};          // columns: pixels of the whole batch
const KDIM: u32 = {{KDIM}};          // terms of each product
const TM: u32 = {{TM}};              // rows per workgroup tile
const TN: u32 = {{TN}};              // columns per workgroup tile
const TK: u32 = {{TK}};              // terms per step
const TNT: u32 = {{TNT}};            // invocations along the columns (TN / PXB)
const PXB: u32 = {{PXB}};            // columns per invocation
const M_TILES: u32 = {{MT}};         // row tiles per group
const NX: u32 = {{NX}};              // workgroups along x (the rest go along z)
const WG: u32 = {{WG}}u;

var<workgroup> a_tile: array<f32, TK * TM>;
var<workgroup> b_tile: array<f32, TK * TN>;

// The invocation's 4 rows x PXB columns of the result. Every invocation of the workgroup calls it
// and runs every step, so its barriers are reached in uniform control flow.
fn tileProduct(wid: vec3<u32>, lid: u32) -> array<vec4<f32>, PXB> {
  let g = wid.y / M_TILES;
  let m0 = (wid.y - g * M_TILES) * TM;
  let p0 = (wid.x + wid.z * NX) * TN;
  let tm = lid / TNT;
  let tn = lid % TNT;
  var acc: array<vec4<f32>, PXB>;
  for (var k0 = 0u; k0 < KDIM; k0 += TK) {
    for (var e = lid; e < TK * TM; e += WG) {
      a_tile[e] = aElement(g, m0 + e % TM, k0 + e / TM);
    }
    for (var e = lid; e < TK * TN; e += WG) {
      b_tile[e] = bElement(g, k0 + e / TN, p0 + e % TN);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      let ab = kk * TM + tm * 4u;
      let a = vec4<f32>(a_tile[ab], a_tile[ab + 1u], a_tile[ab + 2u], a_tile[ab + 3u]);
      for (var j = 0u; j < PXB; j++) {
        acc[j] = fma(a, vec4<f32>(b_tile[kk * TN + tn + j * TNT]), acc[j]);
      }
    }
    workgroupBarrier();
  }
  return acc;
}

// Hands the invocation's part of the result that lies inside it to storeElement: rows row0 .. row0
// + 3 of its group, columns col0 + j * TNT.
fn storeTile(wid: vec3<u32>, lid: u32, acc: array<vec4<f32>, PXB>) {
  let g = wid.y / M_TILES;
  let row0 = (wid.y - g * M_TILES) * TM + (lid / TNT) * 4u;
  let col0 = (wid.x + wid.z * NX) * TN + lid % TNT;
  for (var j = 0u; j < PXB; j++) {
    let col = col0 + j * TNT;
    if (col < NPIX) {
      for (var c = 0u; c < 4u; c++) {
        if (row0 + c < ROWS) {
          storeElement(g, row0 + c, col, acc[j][c]);
        }
      }
    }
  }
}
