// Backward of a training-mode batch norm, second half: per channel, sums the chunks into
//   dbeta = sum gm,  dgamma = sum gm * xhat      (written to the gradient buffer)
// and the coefficients of the input gradient, so that chain_bwd.wgsl computes
//   dx = gamma * inv_std / M * (M * gm - dbeta - xhat * dgamma) = A * gm + B * (x - mean) + C'
// with A = gamma * inv_std, B = -gamma * inv_std^2 * dgamma / M, C' = -gamma * inv_std * dbeta / M
// (coef = (A, B, C', mean)).

{{BINDINGS}}

const C: u32 = {{C}};
const CHUNKS: u32 = {{NCH}};
const COUNT: f32 = {{COUNT}};
const GAMMA_OFFSET: u32 = {{GAMMA_OFF}};
const DGAMMA_OFFSET: u32 = {{DGAMMA_OFF}};
const DBETA_OFFSET: u32 = {{DBETA_OFF}};
const STATS_OFFSET: u32 = {{ST_OFF}};

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= C) {
    return;
  }
  var sg = 0.0;
  var sgx = 0.0;
  for (var j = 0u; j < CHUNKS; j++) {
    let p = {{part}}[c * CHUNKS + j];
    sg += p.x;
    sgx += p.y;
  }
  {{grad}}[DGAMMA_OFFSET + c] = sgx;
  {{grad}}[DBETA_OFFSET + c] = sg;
  let mean = {{st}}[STATS_OFFSET + 2u * c];
  let inv_std = {{st}}[STATS_OFFSET + 2u * c + 1u];
  let a = {{prm}}[GAMMA_OFFSET + c] * inv_std;
  {{coef}}[c] = vec4<f32>(a, -a * inv_std * sgx / COUNT, -a * sg / COUNT, mean);
}
