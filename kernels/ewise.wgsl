// Elementwise over an NCHW activation, one kernel for every combination the graph needs:
//   out = relu_range( [bn:] a * scale[c] + shift[c]   [add:] + b )
// With MASK the ReLU is SNL's partial one, v + m * (max(v, 0) - v) with m the mask entry of the
// element (per pixel) or of its channel, clamped to [0, 1]: m = 1 is a ReLU, m = 0 the identity,
// between a blend.
// Covers a standalone batch norm (not foldable into a convolution), residual add, ReLU on a
// channel range (identity on the other channels), their fusions (bn -> add -> relu), and a plain
// copy (concatenation inputs that cannot be written in place). Inputs and the output are views
// (batch stride and element offset per view), so slices read and concatenations write in place.
// T is vec4<f32> when the plane H*W is a multiple of 4 (every view offset then is too), else f32.
// One invocation per T element; no barriers. C, PLANE (H*W in units of T), the views' batch strides
// and offsets and the ReLU range are constants, or with ARGS dispatch arguments (args.NAME), so
// that one kernel serves every layer of a training step (the generator chooses).

{{BINDINGS}}

//#if ARGS
//#include per_element_args
//#else
const TOTAL: u32 = {{TOTAL}};          // batch * C * PLANE
//#include per_element
//#endif

fn element(e: u32) {
  let p = e % {{PLANE}};
  let t = e / {{PLANE}};
  let c = t % {{C}};
  let n = t / {{C}};
  var v = {{a_in}}[n * {{A_BS}} + {{A_OFF}} + c * {{PLANE}} + p];
//#if BN
  v = v * {{scale}}[c] + {{shift}}[c];
//#endif
//#if ADD
  v = v + {{b_in}}[n * {{B_BS}} + {{B_OFF}} + c * {{PLANE}} + p];
//#endif
//#if RELU
  if (c >= {{RELU_START}} && c < {{RELU_END}}) {
//#if MASK
    v = v + {{MASK_AT}} * (max(v, {{T}}(0.0)) - v);
//#else
    v = max(v, {{T}}(0.0));
//#endif
  }
//#endif
  {{y_out}}[n * {{OUT_BS}} + {{OUT_OFF}} + c * {{PLANE}} + p] = v;
}
