// Convolution weight gradient (training), NCHW, float32:
//   dw[oc, ic, ky, kx] = sum over n, oy, ox of dy[n, oc, oy, ox] * x[n, ic, oy*S + ky - P, ox*S + kx - P]
// The sum runs over batch * OUT_H * OUT_W terms while dw is small, so the reduction is split in
// two without atomics: this kernel gives each invocation one register tile of dw and one chunk of
// ROWS_PER_CHUNK output rows (n, oy), and writes its partial tile to `dst` (chunk-major; with one
// chunk, straight into the gradient buffer); conv_dw_reduce.wgsl adds the chunks up.
//
// Lanes are input channels: a workgroup is (output-channel vec4s OVB, a row of taps block, a chunk)
// x WG consecutive input channels, all from workgroup_id, so every loop bound is uniform. Each
// lane's tile is OVB*4 output channels x its input channel x KYB rows of K taps (vec4 accumulators
// over 4 output channels). Within a row the output columns go PXB at a time: the OVB*4 x PXB dy
// values are the same for every lane, so with subgroups (ENABLE = `enable subgroups;`) each lane
// loads a few of them and subgroupBroadcast hands them to all; the (PXB-1)*S + K input columns of
// each tap row are the lane's own. The tile is written in the forward kernel's packed layout
// (kernels/lib/packed_conv.wgsl) as vec4s; lanes past a group's last output channel
// get exactly zero (their dy is masked), so padding weights stay zero.

{{ENABLE}}
{{BINDINGS}}
//#include packed_conv

//#include conv_planes
const X_BATCH_STRIDE: u32 = {{X_BS}};
const X_OFFSET: u32 = {{X_OFF}};
const DY_BATCH_STRIDE: u32 = {{DY_BS}};
const DY_OFFSET: u32 = {{DY_OFF}};
const OUT_OFFSET: u32 = {{OUT_OFF}};   // vec4 index of the tile's destination (gradient or partials)
const CHUNK_STRIDE: u32 = {{CHUNK_STRIDE}}; // vec4s per chunk of partials (0 with one chunk)
const CIG: u32 = {{CIG}};
const COG: u32 = {{COG}};
const OCB: u32 = {{OCB}};
const NV: u32 = {{NV}};                // vec4s per packed output block
const OB_PER_G: u32 = {{OBG}};
const OVB: u32 = {{OVB}};              // output-channel vec4s per workgroup
const OV_N: u32 = {{OVN}};             // OB_PER_G * NV / OVB
const ICK_PER_G: u32 = {{ICKG}};       // blocks of WG input channels per group
const KYB: u32 = {{KYB}};              // rows of taps per workgroup
const KYB_N: u32 = {{KYBN}};
const ROWS: u32 = {{ROWS}};            // batch * OUT_H
const ROWS_PER_CHUNK: u32 = {{RPC}};
const GROUPS_X: u32 = {{GX}};          // OV_N * KYB_N * chunks
const PXB: u32 = {{PXB}};
const XB: u32 = {{XB}};                // column blocks per output row
const NX: u32 = {{NX}};

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32{{LANE}}) {
{{LANE_DECL}}
  let L = wid.x + wid.z * NX;
  if (L >= GROUPS_X) {
    return;
  }
  let ov = L % OV_N;
  let t2 = L / OV_N;
  let kyb = t2 % KYB_N;
  let chunk = t2 / KYB_N;
  let g = wid.y / ICK_PER_G;
  let icl = (wid.y - g * ICK_PER_G) * {{WG}}u + lid;
  let icc = min(icl, CIG - 1u);
  let ocl0 = ov * (OVB * 4u);            // first output channel (in group) of this workgroup
  let ob = packedBlock(g, ocl0);
  let v0 = (ocl0 % OCB) / 4u;
  let ky0 = kyb * KYB;
  let xc = (g * CIG + icc) * IHW;
  let dyc = (g * COG) * OHW;
{{ACC_DECL}}
  let q0 = chunk * ROWS_PER_CHUNK;
  let q1 = min(q0 + ROWS_PER_CHUNK, ROWS);
  for (var q = q0; q < q1; q++) {
    let oy = q % OUT_H;
    let n = q / OUT_H;
{{ROW_SETUP}}
    for (var cb = 0u; cb < XB; cb++) {
      let ox0 = cb * PXB;
{{COL_BODY}}
    }
  }
  if (icl < CIG) {
{{EPILOGUE}}
  }
}
