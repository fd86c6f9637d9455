// Second half of the weight-gradient reduction (conv_dw.wgsl): the gradient (vec4 units) is the
// sum of the chunks' partial tiles, added in chunk order.

{{BINDINGS}}

// Every size is an argument, so the weight gradients of all layers share this one kernel:
// args.TOTAL vec4s of the gradient, args.CHUNKS partial tiles, written at vec4 index args.OUT_OFF.
//#include per_element_args

fn element(i: u32) {
  var acc = vec4<f32>(0.0);
  for (var c = 0u; c < args.CHUNKS; c++) {
    acc += {{part}}[c * args.TOTAL + i];
  }
  {{grad}}[args.OUT_OFF + i] = acc;
}
