// Backward of an elementwise chain (the chains the forward pass fuses: kernels/ewise.wgsl), and a
// plain gradient copy (no ops). Per element, the gradient g of the chain's output goes back through
// the chain's ops, last first (their parts, each a section of kernels/chain/<op>.wgsl, go where
// //#parts says: a ReLU masks it, an add hands it to its other operand, a batch norm turns it into
// its input's), and what reaches the chain's first input is written there (TA). Each target is a
// view (batch stride, offset) and is written (=) or accumulated (+=, ACC_A) as the training plan
// decided for the gradient buffer it lands in. T is vec4<f32> when H*W % 4 == 0 and every view is
// aligned. An invocation computes a run of RUN elements (the schedule's).
// Sizes, views and the parts' sizes are dispatch arguments (args.NAME), so the chains of every
// layer share a few kernels (one per combination of ops and flags).

{{BINDINGS}}

//#include per_element_args

// Invocation i computes the run of RUN elements starting at element i * RUN (RUN divides PLANE, so
// a run lies in one plane): its image and channel, and what the parts read per channel, once per run.
fn element(i: u32) {
  let e0 = i * {{RUN}}u;
  let p0 = e0 % {{PLANE}};
  let t = e0 / {{PLANE}};
  let c = t % {{C}};
  let n = t / {{C}};
  let at = c * {{PLANE}} + p0;
  let g0 = n * {{G_BS}} + {{G_OFF}} + at;
//#parts bwd_run
//#if TA
  let ia = n * {{A_BS}} + {{A_OFF}} + at;
//#endif
  for (var k = 0u; k < {{RUN}}u; k++) {
    let p = p0 + k;
    var gv: {{T}} = {{g_in}}[g0 + k];
//#parts bwd_element
//#if TA
//#if ACC_A
    {{ta}}[ia + k] = {{ta}}[ia + k] + gv;
//#else
    {{ta}}[ia + k] = gv;
//#endif
//#endif
  }
}
