// A batch norm's part in an elementwise chain's kernels (//#parts in kernels/ewise.wgsl and
// kernels/train/chain_bwd.wgsl; src/ops/bn/kernels.ts gives what it reads). It is first in its
// chain. Forward, the per-channel scale and shift (folded from the weights for inference, from the
// batch statistics in training). Backward, the input gradient A*g + B*(x - mean) + C' with the
// channel's coefficients coef = (A, B, C', mean) from kernels/train/chain_bwd_finalize.wgsl.
//#section fwd_run
  let sc = {{scale}}[c];
  let sh = {{shift}}[c];
//#section fwd_element
    v = v * sc + sh;
//#section bwd_run
  let kc = {{coef}}[c];
  let x0 = n * {{X_BS}} + {{X_OFF}} + at;
//#section bwd_element
    gv = kc.x * gv + kc.y * ({{x_in}}[x0 + k] - kc.w) + kc.z;
