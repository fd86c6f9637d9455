// SGD with momentum and weight decay over a range of the flat parameter buffer (PyTorch's
// torch.optim.SGD, dampening 0):
//   d = g + WD * w;  buf = MOMENTUM * buf + d;  w = w - lr * buf   (Nesterov: w - lr * (d + MOMENTUM * buf))
// The learning rate comes from the uniform buffer, so a schedule needs no new kernel. Padding
// between parameters has w = g = 0 and stays 0.

{{BINDINGS}}
@group(0) @binding({{UNIFORM_BINDING}}) var<uniform> hp: Hyper;

struct Hyper {
  lr: f32,
  warm: f32,
  pad0: f32,
  pad1: f32,
}

const OFFSET: u32 = {{OFF}};               // vec4s
const LEN: u32 = {{LEN}};                  // vec4s
const WD: f32 = {{WD}};
const MOMENTUM: f32 = {{MOMENTUM}};
const TOTAL: u32 = LEN;
//#include per_element

fn element(i: u32) {
  let j = OFFSET + i;
  let w = {{prm}}[j];
  let d = fma(vec4<f32>(WD), w, {{grad}}[j]);
  let b = fma(vec4<f32>(MOMENTUM), {{mom}}[j], d);
  {{mom}}[j] = b;
//#if NESTEROV
  {{prm}}[j] = w - hp.lr * fma(vec4<f32>(MOMENTUM), b, d);
//#else
  {{prm}}[j] = w - hp.lr * b;
//#endif
}
