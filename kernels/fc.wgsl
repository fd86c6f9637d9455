// Fully connected layer: y[n, o] = sum_i W[o, i] * x[n, i] + b[o], W row-major [out, in], x the
// flattened NCHW input (a view: batch stride and offset). One invocation per (image, output);
// T is vec4<f32> when `in` (and the view's offset and batch stride) are multiples of 4.
// IN: input features in units of T; OUT: outputs; IN_BS, IN_OFF and OUT_BS, OUT_OFF: the views.
// They are constants, or with ARGS dispatch arguments (args.NAME), as the generator chose.

//#if F16W
// The weights are stored as f16 and read into T: the sum stays f32.
enable f16;
//#endif
{{BINDINGS}}

//#if ARGS
//#include per_element_args
//#else
const TOTAL: u32 = {{TOTAL}};          // batch * OUT
//#include per_element
//#endif

fn element(e: u32) {
  let o = e % {{OUT}};
  let n = e / {{OUT}};
  let xb = n * {{IN_BS}} + {{IN_OFF}};
  let wb = o * {{IN}};
  var acc = {{T}}(0.0);
  for (var i = 0u; i < {{IN}}; i++) {
//#if F16W
    acc = fma({{T}}({{wgt}}[wb + i]), {{x_in}}[xb + i], acc);
//#else
    acc = fma({{wgt}}[wb + i], {{x_in}}[xb + i], acc);
//#endif
  }
//#if VEC4
  {{y_out}}[n * {{OUT_BS}} + {{OUT_OFF}} + o] = (acc.x + acc.y + acc.z + acc.w) + {{bias}}[o];
//#else
  {{y_out}}[n * {{OUT_BS}} + {{OUT_OFF}} + o] = acc + {{bias}}[o];
//#endif
}
