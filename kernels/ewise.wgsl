// Elementwise over an NCHW activation: an elementwise chain's forward, out = ops(a), where ops are
// the chain's ops in order (batch norm, residual add, ReLU on a channel range: their parts, each a
// section of kernels/chain/<op>.wgsl, go where //#parts says), or a plain copy (no ops:
// concatenation inputs that cannot be written in place). Inputs and the output are views (batch
// stride and element offset per view), so slices read and concatenations write in place.
// T is vec4<f32> when the plane H*W is a multiple of 4 (every view offset then is too), else f32.
// One invocation per run of RUN T elements (the schedule's); no barriers. C, PLANE (H*W in units of
// T), the views' batch strides and offsets and the parts' sizes are constants, or with ARGS
// dispatch arguments (args.NAME), so that one kernel serves every layer of a training step (the
// generator chooses).

{{BINDINGS}}

//#if ARGS
//#include per_element_args
//#else
const TOTAL: u32 = {{TOTAL}};          // batch * C * PLANE / RUN
//#include per_element
//#endif

// Invocation i computes the run of RUN elements starting at element i * RUN (RUN divides PLANE, so
// a run lies in one plane): its image and channel, and what the parts read per channel, once per run.
fn element(i: u32) {
  let e0 = i * {{RUN}}u;
  let p0 = e0 % {{PLANE}};
  let t = e0 / {{PLANE}};
  let c = t % {{C}};
  let n = t / {{C}};
  let a0 = n * {{A_BS}} + {{A_OFF}} + c * {{PLANE}} + p0;
//#parts fwd_run
  let y0 = n * {{OUT_BS}} + {{OUT_OFF}} + c * {{PLANE}} + p0;
  for (var k = 0u; k < {{RUN}}u; k++) {
    let p = p0 + k;
    var v: {{T}} = {{a_in}}[a0 + k];
//#parts fwd_element
    {{y_out}}[y0 + k] = v;
  }
}
