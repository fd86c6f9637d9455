// A ReLU's part in an elementwise chain's kernels (//#parts in kernels/ewise.wgsl and
// kernels/train/chain_bwd.wgsl; src/ops/relu/kernels.ts gives what it reads). It is last in its
// chain and acts on the channels [RELU_START, RELU_END) (the identity on the others). With MASK it
// is SNL's partial ReLU v + m * (max(v, 0) - v), m the element's or its channel's mask entry in
// [0, 1]: m = 1 is a ReLU, m = 0 the identity, between a blend. Backward, the gradient is cleared
// (scaled by 1 - m with MASK) where the chain's output o is not positive, which is exactly where
// the ReLU's input was not, so nothing else is kept from the forward.
//#section fwd_run
  let on = c >= {{RELU_START}} && c < {{RELU_END}};
//#section fwd_element
    if (on) {
//#if MASK
//#include snl_mask
      v = v + m * (max(v, {{T}}(0.0)) - v);
//#else
      v = max(v, {{T}}(0.0));
//#endif
    }
//#section bwd_run
  let on = c >= {{RELU_START}} && c < {{RELU_END}};
  let o0 = n * {{O_BS}} + {{O_OFF}} + at;
//#section bwd_element
    if (on) {
//#if MASK
//#include snl_mask
      gv = select(gv * ({{T}}(1.0) - m), gv, {{o_in}}[o0 + k] > {{T}}(0.0));
//#else
      gv = select({{T}}(0.0), gv, {{o_in}}[o0 + k] > {{T}}(0.0));
//#endif
    }
