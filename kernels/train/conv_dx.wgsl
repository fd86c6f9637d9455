// Convolution input gradient (training), NCHW, float32:
//   dx[n, ic, iy, ix] (=|+=) sum over oc of its group, ky, kx with iy = oy*S + ky - P, ix = ox*S + kx - P
//                             of dy[n, oc, oy, ox] * w[oc, ic, ky, kx]
// A gather (each invocation owns its outputs, no atomics), built like the forward kernel
// (kernels/conv.wgsl) with the roles of the channels swapped: one invocation computes ICB input
// channels (vec4 accumulators) x RB rows x PXB columns of one image and loops over the group's
// output channels one at a time, reading a few dy values per channel (loads that differ per lane:
// scalars, or at stride 1 with 4-aligned rows aligned vec4 quads of a dy row) and the channel's
// ICB x K*K weights, which are the same for every lane.
//
// RB and PXB are multiples of the stride and blocks start at multiples of it, so which (ky, kx)
// taps reach which pixel of the block is known when the kernel is generated: the generated body
// touches only contributing taps, and the checks left at run time are the image borders.
//
// Weights are in the forward kernel's packed layout (kernels/lib/packed_conv.wgsl). With subgroups (ENABLE = `enable subgroups;`) each lane loads a
// different one of the ICB*K*K weights of the channel and subgroupBroadcast hands every lane all
// of them (on a CPU driver a load at a lane-uniform address is still done lane by lane); the whole
// body is then in uniform control flow: out-of-image reads are clamped and masked with select, and
// lanes past the end compute a clamped block and skip the stores.

{{ENABLE}}
{{BINDINGS}}
//#include packed_conv

//#include conv_dx_views
const KK: u32 = {{KK}};
const ICB: u32 = {{ICB}};            // input channels per invocation
const ICB_PER_G: u32 = {{ICBG}};     // input-channel blocks per group
const RB: u32 = {{RB}};
const PXB: u32 = {{PXB}};
const XB: u32 = {{XB}};              // column blocks per row
const YB: u32 = {{YB}};              // row blocks per image
const SPATIAL: u32 = {{SPATIAL}};    // batch * YB * XB
const NX: u32 = {{NX}};

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32{{LANE}}) {
{{LANE_DECL}}
  let s_raw = (wid.x + wid.z * NX) * {{WG}}u + lid;
  let live = s_raw < SPATIAL;
  let s = min(s_raw, SPATIAL - 1u);
  let icb = wid.y;
  let g = icb / ICB_PER_G;
  let icl0 = (icb - g * ICB_PER_G) * ICB;
  let xb = s % XB;
  let t = s / XB;
  let yb = t % YB;
  let n = t / YB;
  let iy0 = yb * RB;
  let ix0 = xb * PXB;
  let oyb = i32(iy0 / {{S}}u);
  let oxb = i32(ix0 / {{S}}u);
{{ACC_DECL}}
{{SETUP}}
  // The weights' float index in the parameter buffer is an argument (args.W_OFF), so that layers
  // whose shapes, views and accumulation agree share this kernel.
  let w_offset = args.W_OFF;
  var dyp = n * DY_BATCH_STRIDE + DY_OFFSET + g * (COG * OHW);
  for (var oc = 0u; oc < COG; oc++) {
    // the channel's weights: packed block, lane, and this invocation's input channels
    let wbase = w_offset + packedWeight(packedBlock(g, oc), icl0, 0u) + oc % PACK_OCB;
{{DX_BODY}}
    dyp += OHW;
  }
  if (live) {
{{EPILOGUE}}
  }
}
