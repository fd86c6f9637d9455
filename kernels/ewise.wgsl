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
// One invocation per run of RUN T elements (the schedule's); no barriers. C, PLANE (H*W in units of T), the views' batch strides
// and offsets and the ReLU range are constants, or with ARGS dispatch arguments (args.NAME), so
// that one kernel serves every layer of a training step (the generator chooses).

{{BINDINGS}}

//#if ARGS
//#include per_element_args
//#else
const TOTAL: u32 = {{TOTAL}};          // batch * C * PLANE / RUN
//#include per_element
//#endif

// Invocation i computes the run of RUN elements starting at element i * RUN (RUN divides PLANE, so
// a run lies in one plane): its image, channel and the channel's scale and shift, once per run.
fn element(i: u32) {
  let e0 = i * {{RUN}}u;
  let p0 = e0 % {{PLANE}};
  let t = e0 / {{PLANE}};
  let c = t % {{C}};
  let n = t / {{C}};
  let a0 = n * {{A_BS}} + {{A_OFF}} + c * {{PLANE}} + p0;
//#if BN
  let sc = {{scale}}[c];
  let sh = {{shift}}[c];
//#endif
//#if ADD
  let b0 = n * {{B_BS}} + {{B_OFF}} + c * {{PLANE}} + p0;
//#endif
//#if RELU
  let on = c >= {{RELU_START}} && c < {{RELU_END}};
//#endif
  let y0 = n * {{OUT_BS}} + {{OUT_OFF}} + c * {{PLANE}} + p0;
  for (var k = 0u; k < {{RUN}}u; k++) {
    let p = p0 + k;
    var v = {{a_in}}[a0 + k];
//#if BN
    v = v * sc + sh;
//#endif
//#if ADD
    v = v + {{b_in}}[b0 + k];
//#endif
//#if RELU
    if (on) {
//#if MASK
//#include snl_mask
      v = v + m * (max(v, {{T}}(0.0)) - v);
//#else
      v = max(v, {{T}}(0.0));
//#endif
    }
//#endif
    {{y_out}}[y0 + k] = v;
  }
}
