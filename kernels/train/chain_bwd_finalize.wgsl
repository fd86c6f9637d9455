// Backward of a training-mode batch norm, second half: per channel, sums the chunks into
//   dbeta = sum gm,  dgamma = sum gm * xhat      (written to the gradient buffer)
// and the coefficients of the input gradient, so that chain_bwd.wgsl computes
//   dx = gamma * inv_std / M * (M * gm - dbeta - xhat * dgamma) = A * gm + B * (x - mean) + C'
// with A = gamma * inv_std, B = -gamma * inv_std^2 * dgamma / M, C' = -gamma * inv_std * dbeta / M
// (coef = (A, B, C', mean)).

{{BINDINGS}}

// Every scalar is an argument (args.NAME), so all batch norms share this one kernel: C channels,
// NCH chunks, COUNT = N*H*W, and the float offsets of gamma, dgamma, dbeta and the stats.

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= args.C) {
    return;
  }
  var sg = 0.0;
  var sgx = 0.0;
  for (var j = 0u; j < args.NCH; j++) {
    let p = {{part}}[c * args.NCH + j];
    sg += p.x;
    sgx += p.y;
  }
  {{grad}}[args.DGAMMA_OFF + c] = sgx;
  {{grad}}[args.DBETA_OFF + c] = sg;
  let mean = {{st}}[args.ST_OFF + 2u * c];
  let inv_std = {{st}}[args.ST_OFF + 2u * c + 1u];
  let a = {{prm}}[args.GAMMA_OFF + c] * inv_std;
  {{coef}}[c] = vec4<f32>(a, -a * inv_std * sgx / args.COUNT, -a * sg / args.COUNT, mean);
}
