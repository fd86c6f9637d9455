// A residual add's part in an elementwise chain's kernels (//#parts in kernels/ewise.wgsl and
// kernels/train/chain_bwd.wgsl; src/ops/add/kernels.ts gives what it reads). Forward, the other
// operand b (a view). Backward, b's gradient is the gradient reaching the add, written (=) or
// accumulated (+=, ACC_B) where the training plan put it (TB); an add of a value with itself
// (DOUBLED) has no b and passes twice the gradient on.
//#section fwd_run
  let b0 = n * {{B_BS}} + {{B_OFF}} + c * {{PLANE}} + p0;
//#section fwd_element
    v = v + {{b_in}}[b0 + k];
//#section bwd_run
//#if TB
  let ib = n * {{B_BS}} + {{B_OFF}} + at;
//#endif
//#section bwd_element
//#if TB
//#if ACC_B
    {{tb}}[ib + k] = {{tb}}[ib + k] + gv;
//#else
    {{tb}}[ib + k] = gv;
//#endif
//#endif
//#if DOUBLED
    gv = gv * {{T}}(2.0);
//#endif
