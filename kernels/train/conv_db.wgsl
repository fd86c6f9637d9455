// Convolution bias gradient: db[oc] = sum over n, y, x of dy[n, oc, y, x], written at the bias's
// packed position (kernels/lib/packed_conv.wgsl). One invocation per output
// channel (convolutions with a bias are rare: batch norm follows every convolution hrn lowers).

{{BINDINGS}}
//#include packed_conv

const OUT_C: u32 = {{OC}};
const COG: u32 = {{COG}};
const OHW: u32 = {{OHW}};
const BATCH: u32 = {{N}};
const DY_BATCH_STRIDE: u32 = {{DY_BS}};
const DY_OFFSET: u32 = {{DY_OFF}};
const GB_OFFSET: u32 = {{GB_OFF}};

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let oc = gid.x;
  if (oc >= OUT_C) {
    return;
  }
  var s = 0.0;
  for (var n = 0u; n < BATCH; n++) {
    let base = n * DY_BATCH_STRIDE + DY_OFFSET + oc * OHW;
    for (var p = 0u; p < OHW; p++) {
      s += {{g_in}}[base + p];
    }
  }
  let g = oc / COG;
  let ocl = oc - g * COG;
  {{grad}}[GB_OFFSET + packedBias(g, ocl)] = s;
}
