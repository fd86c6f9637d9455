// Direct 2-D convolution, NCHW, float32, with a fused epilogue (inference):
//   out = relu_range(conv(in, w) + bias [+ res])
// Batch norm is folded into w and bias by the host. Every shape, stride, padding, group count and
// view offset is a constant, so the compiler sees fixed address arithmetic and unrolls the block.
//
// Work decomposition: one invocation computes a register block of OCB output channels x PXB
// consecutive output pixels of one output row, or (ROWS) of RB consecutive output rows
// (accumulators are vec4s over 4 output channels).
// The output-channel block is workgroup_id.y, the same for the whole workgroup; lanes differ only
// in the pixels they read. No workgroup memory and no barriers.
//
// Weights are in the packed layout (kernels/lib/packed_conv.wgsl), read as vec4s: vec4 v of a
// block's lanes holds output channels ocl + 4v .. ocl + 4v + 3 of output block ob (zero past the
// end of a group's channels). Without subgroups every lane reads the vec4s it needs. With subgroups (SUBGROUPS), each lane of a subgroup loads a different vec4 of the row
// and subgroupBroadcast hands all lanes all of them: lavapipe executes a load whose address it
// cannot prove uniform lane by lane, so this does SG times fewer loads (measured: 2.5-3x faster
// 3x3 convs). Every statement of the body is then in uniform control flow: rows outside the
// image are read clamped and masked with select, and there is no early return.
// The window is unrolled over kx, the pixel block and the vec4s; input channels are a loop, and so
// are kernel rows for one output row. With RB rows (ROWS) the whole window is unrolled: each input
// row the block reads is loaded once and feeds every output row it reaches. Which columns of an
// input row the block reads, and how, is known when the kernel is generated
// (src/ops/conv/kernels/conv-window.ts computes the tables): aligned 4-pixel quads are read as
// vec4s (binding x_in4, the same buffer as x_in), the halo columns (HALO) come from the
// neighbouring lanes' quads, and the other columns are read one by one, clamped and masked where
// they may fall outside the row. The epilogue stores 4 pixels of a channel as a vec4 when rows are
// 4-aligned (VEC_OUT, through kernels/lib/store_loop.wgsl), else pixel by pixel.

//#include enables
{{BINDINGS}}
//#include packed_conv

//#include conv_forward
const OB_PER_G: u32 = {{OBG}};     // output-channel blocks per group
const KK_NV: u32 = {{KKNV}};       // vec4 weights per input channel of a block
const PXB: u32 = {{PXB}};          // output pixels per invocation
const WB: u32 = {{WB}};            // pixel blocks per output row
const SPATIAL: u32 = {{SPATIAL}};  // batch * OUT_H * WB (with ROWS, batch * ROW_BLOCKS * WB)
const NX: u32 = {{NX}};            // workgroups along x (the rest go along z)
//#if ROWS
const ROW_BLOCKS: u32 = {{ROW_BLOCKS}};  // blocks of RB output rows per image
//#endif

//#include subgroup_entry
  // No early return: the driver loads uniform weights once per SIMD batch only outside control
  // flow, so lanes past the end compute a clamped block and skip the stores.
  let s_raw = (wid.x + wid.z * NX) * {{WG}}u + lid;
  let live = s_raw < SPATIAL;
  let s = min(s_raw, SPATIAL - 1u);
  let ob = wid.y;
  let g = ob / OB_PER_G;
  let ocl = (ob - g * OB_PER_G) * {{OCB}}u;
  let xb = s % WB;
  let t = s / WB;
//#if ROWS
  // the first of the block's RB output rows
  let oy = (t % ROW_BLOCKS) * {{RB}};
  let n = t / ROW_BLOCKS;
//#else
  let oy = t % OUT_H;
  let n = t / OUT_H;
//#endif
  let ox0 = xb * PXB;
  let ix0 = i32(ox0 * STRIDE) - PAD;
  let iy0 = i32(oy * STRIDE) - PAD;
//#if HALO
  // The halo from the neighbouring lanes: which lanes compute the pixel blocks left and right of
  // this one in its row (a lane at an end of its subgroup has no neighbour there). A lane without
  // a neighbour loads those columns in a branch of its own, the body's one divergent statement;
  // it holds no subgroup operation, and the shuffles come before it.
  let sid_l = select(sg_id - 1u, sg_id, lane == 0u);
  let sid_r = select(sg_id + 1u, sg_id, lane == {{SG_LAST}});
  let s_l = subgroupShuffle(s_raw, sid_l);
  let s_r = subgroupShuffle(s_raw, sid_r);
  let halo_l = xb > 0u && s_l + 1u == s_raw;
  let halo_r = xb + 1u < WB && s_r == s_raw + 1u;
//#endif
//#for a in ACC
  var a{{a.px}}_{{a.v}} = vec4<f32>(0.0);
//#endfor
  var xi = n * IN_BATCH_STRIDE + IN_OFFSET + g * (CIG * IN_H * IN_W);
  var wi = packedWeight(ob, 0u, 0u) / 4u;
  // An opaque trip count (always CIG): a short constant-count loop would be fully unrolled by the
  // driver, multiplying its JIT time for small layers without making them faster.
  let cig = select(CIG, CIG + 1u, arrayLength(&{{bias}}) == 0u);
  for (var ic = 0u; ic < cig; ic++) {
//#if ROWS
//#include conv_window_rows
//#else
//#include conv_window_row
//#endif
    xi += IN_H * IN_W;
    wi += KK_NV;
  }
  let oc0 = g * COG + ocl;
  if (live) {
//#include conv_epilogue
  }
}
