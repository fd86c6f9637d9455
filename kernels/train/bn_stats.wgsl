// Batch norm in training mode, first half of the batch statistics: per (channel, chunk of images),
// the chunk's mean and sum of squared deviations (two passes over the chunk, so no catastrophic
// cancellation). bn_finalize.wgsl merges the chunks (Chan et al.'s pairwise formula).
// T is vec4<f32> when H*W is a multiple of 4. The input is a view (batch stride, offset).

{{BINDINGS}}

// Every size and offset is an argument (args.NAME), so layers share this kernel: C channels, NCH
// chunks of IPC images of N, PLANE = H*W in units of T, PLANE_ELEMS = H*W as a float, TOTAL =
// C * NCH, and the input view's X_BS, X_OFF. Runtime loop bounds also keep the driver's compiler
// from unrolling the loops, which made this kernel slow to compile.
//#include per_element_args

fn element(e: u32) {
  let c = e / args.NCH;
  let j = e - c * args.NCH;
//#if SPLIT
  // A schedule that cuts planes too (more, shorter partial sums, for a GPU): chunk j is image
  // chunk j / PCH and plane chunk j % PCH of PPC units of T; UNIT_ELEMS = elements per T.
  let ji = j / args.PCH;
  let p0 = (j - ji * args.PCH) * args.PPC;
  let p1 = min(p0 + args.PPC, args.PLANE);
  let n0 = ji * args.IPC;
//#else
  let n0 = j * args.IPC;
//#endif
  let n1 = min(n0 + args.IPC, args.N);
  var acc = {{T}}(0.0);
  for (var n = n0; n < n1; n++) {
    let base = n * args.X_BS + args.X_OFF + c * args.PLANE;
//#if SPLIT
    for (var p = p0; p < p1; p++) {
//#else
    for (var p = 0u; p < args.PLANE; p++) {
//#endif
      acc += {{x_in}}[base + p];
    }
  }
//#if SPLIT
  let count = f32((n1 - n0) * (p1 - p0)) * args.UNIT_ELEMS;
//#else
  let count = f32(n1 - n0) * args.PLANE_ELEMS;
//#endif
//#if VEC4
  let mean = (acc.x + acc.y + acc.z + acc.w) / count;
//#else
  let mean = acc / count;
//#endif
  var q = {{T}}(0.0);
  for (var n = n0; n < n1; n++) {
    let base = n * args.X_BS + args.X_OFF + c * args.PLANE;
//#if SPLIT
    for (var p = p0; p < p1; p++) {
//#else
    for (var p = 0u; p < args.PLANE; p++) {
//#endif
      let d = {{x_in}}[base + p] - mean;
      q = fma(d, d, q);
    }
  }
//#if VEC4
  {{part}}[e] = vec2<f32>(mean, (q.x + q.y + q.z + q.w));
//#else
  {{part}}[e] = vec2<f32>(mean, q);
//#endif
}
