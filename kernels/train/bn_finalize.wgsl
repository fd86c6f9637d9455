// Batch norm in training mode, second half: per channel, merges the chunks' (mean, M2) into the
// batch mean and biased variance, then writes
//   stats  (mean, 1/sqrt(var + eps))          what the backward pass needs,
//   scale = gamma / sqrt(var + eps), shift = beta - mean * scale   what the forward apply uses,
// and updates the running statistics as PyTorch does (unbiased variance, momentum MOMENTUM).

{{BINDINGS}}

const C: u32 = {{C}};
const CHUNKS: u32 = {{NCH}};
const BATCH: u32 = {{N}};
const IMAGES_PER_CHUNK: u32 = {{IPC}};
const PLANE_ELEMS: f32 = {{PLANE_ELEMS}};
const COUNT: f32 = {{COUNT}};              // batch * H * W
const UNBIAS: f32 = {{UNBIAS}};            // COUNT / (COUNT - 1)
const EPS: f32 = {{EPS}};
const MOMENTUM: f32 = {{MOMENTUM}};
const GAMMA_OFFSET: u32 = {{GAMMA_OFF}};
const BETA_OFFSET: u32 = {{BETA_OFF}};
const STATS_OFFSET: u32 = {{ST_OFF}};
const SCALE_OFFSET: u32 = {{SC_OFF}};
const SHIFT_OFFSET: u32 = {{SH_OFF}};
const RMEAN_OFFSET: u32 = {{RM_OFF}};
const RVAR_OFFSET: u32 = {{RV_OFF}};

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= C) {
    return;
  }
  var s = 0.0;
  for (var j = 0u; j < CHUNKS; j++) {
    let nj = f32(min((j + 1u) * IMAGES_PER_CHUNK, BATCH) - j * IMAGES_PER_CHUNK) * PLANE_ELEMS;
    s = fma(nj, {{part}}[c * CHUNKS + j].x, s);
  }
  let mean = s / COUNT;
  var m2 = 0.0;
  for (var j = 0u; j < CHUNKS; j++) {
    let nj = f32(min((j + 1u) * IMAGES_PER_CHUNK, BATCH) - j * IMAGES_PER_CHUNK) * PLANE_ELEMS;
    let p = {{part}}[c * CHUNKS + j];
    let d = p.x - mean;
    m2 += p.y + nj * d * d;
  }
  let variance = m2 / COUNT;
  let inv_std = inverseSqrt(variance + EPS);
  let scale = {{prm}}[GAMMA_OFFSET + c] * inv_std;
  {{st}}[STATS_OFFSET + 2u * c] = mean;
  {{st}}[STATS_OFFSET + 2u * c + 1u] = inv_std;
  {{st}}[SCALE_OFFSET + c] = scale;
  {{st}}[SHIFT_OFFSET + c] = {{prm}}[BETA_OFFSET + c] - mean * scale;
  {{run}}[RMEAN_OFFSET + c] = (1.0 - MOMENTUM) * {{run}}[RMEAN_OFFSET + c] + MOMENTUM * mean;
  {{run}}[RVAR_OFFSET + c] = (1.0 - MOMENTUM) * {{run}}[RVAR_OFFSET + c] + MOMENTUM * variance * UNBIAS;
}
