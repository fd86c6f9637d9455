// Second half of the weight-gradient reduction (conv_dw.wgsl): the gradient (vec4 units) is the
// sum of the chunks' partial tiles, added in chunk order.

{{BINDINGS}}

const SIZE: u32 = {{SIZE}};          // vec4s of the gradient
const CHUNKS: u32 = {{CHUNKS}};
const OUT_OFFSET: u32 = {{OUT_OFF}};
const TOTAL: u32 = SIZE;
//#include per_element

fn element(i: u32) {
  var acc = vec4<f32>(0.0);
  for (var c = 0u; c < CHUNKS; c++) {
    acc += {{part}}[c * SIZE + i];
  }
  {{grad}}[OUT_OFFSET + i] = acc;
}
