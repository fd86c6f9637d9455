// Training loss on the logits [batch, K] and its gradient d loss / d logits, all in one
// workgroup (the batch is small next to everything else):
//   CE:     mean_n (lse(z_n) - z_n[y_n]),                 grad CE_W * (softmax(z) - onehot(y)) / B
//   Hinton: CE_W * CE + KD_W * T^2 * KL(p_t || p_s),        p = softmax(logits / T)
//   DKD:    CE_W * CE + warm * (DKD_A * TCKD + DKD_B * NCKD)  (Zhao et al. 2022; src/train/losses.ts)
// The teacher's logits are in `tch` (dense [batch, K]). Each lane takes rows lid, lid + WG, ...;
// the per-row losses are then summed in workgroup memory and lane 0 adds the batch means to the
// running sums in `sums` (loss, correct, steps, ce, kd term 1, kd term 2), which the host reads
// every few steps: the only read-back a training step has. The DKD warm-up factor comes from the
// uniform buffer.

{{BINDINGS}}
@group(0) @binding({{UNIFORM_BINDING}}) var<uniform> hp: Hyper;

struct Hyper {
  lr: f32,
  warm: f32,
  pad0: f32,
  pad1: f32,
}

const BATCH: u32 = {{N}};
const K: u32 = {{K}};
const Z_BATCH_STRIDE: u32 = {{Z_BS}};
const Z_OFFSET: u32 = {{Z_OFF}};
const INV_B: f32 = {{INV_B}};
const CE_W: f32 = {{CE_W}};
//#if KD
const TEMP: f32 = {{TEMP}};
const INV_T: f32 = {{INV_T}};
//#endif
//#if HINTON
const KD_W: f32 = {{KD_W}};
//#endif
//#if DKD
const DKD_A: f32 = {{DKD_A}};
const DKD_B: f32 = {{DKD_B}};
//#endif

var<workgroup> red: array<vec4<f32>, {{WG}}>;
var<workgroup> red2: array<f32, {{WG}}>;

//#if KD
/** log-sum-exp of the student's row at zb, divided by T, skipping column `skip` (K: none). */
fn lse_s(zb: u32, skip: u32) -> f32 {
  var m = -3.4e38;
  for (var i = 0u; i < K; i++) {
    if (i != skip) {
      m = max(m, {{z}}[zb + i] * INV_T);
    }
  }
  var s = 0.0;
  for (var i = 0u; i < K; i++) {
    if (i != skip) {
      s += exp({{z}}[zb + i] * INV_T - m);
    }
  }
  return m + log(s);
}

fn lse_t(tb: u32, skip: u32) -> f32 {
  var m = -3.4e38;
  for (var i = 0u; i < K; i++) {
    if (i != skip) {
      m = max(m, {{tch}}[tb + i] * INV_T);
    }
  }
  var s = 0.0;
  for (var i = 0u; i < K; i++) {
    if (i != skip) {
      s += exp({{tch}}[tb + i] * INV_T - m);
    }
  }
  return m + log(s);
}
//#endif

@compute @workgroup_size({{WG}})
fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = vec4<f32>(0.0);   // loss, correct, ce, kd term 1
  var acc2 = 0.0;             // kd term 2 (DKD's NCKD)
  for (var r = lid; r < BATCH; r += {{WG}}u) {
    let zb = r * Z_BATCH_STRIDE + Z_OFFSET;
    let gb = r * K;
    let y = {{labels}}[r];
    var m = {{z}}[zb];
    var am = 0u;
    for (var i = 1u; i < K; i++) {
      let v = {{z}}[zb + i];
      if (v > m) {
        m = v;
        am = i;
      }
    }
    var s = 0.0;
    for (var i = 0u; i < K; i++) {
      s += exp({{z}}[zb + i] - m);
    }
    let lse = m + log(s);
    let ce = lse - {{z}}[zb + y];
    var loss = CE_W * ce;
    acc.y += select(0.0, 1.0, am == y);
    acc.z += ce;
//#if !KD
    for (var i = 0u; i < K; i++) {
      {{dz}}[gb + i] = CE_W * INV_B * (exp({{z}}[zb + i] - lse) - select(0.0, 1.0, i == y));
    }
//#endif
//#if HINTON
    let ls = lse_s(zb, K);
    let lt = lse_t(gb, K);
    var kl = 0.0;
    for (var i = 0u; i < K; i++) {
      let lps = {{z}}[zb + i] * INV_T - ls;
      let lpt = {{tch}}[gb + i] * INV_T - lt;
      let pt = exp(lpt);
      kl += pt * (lpt - lps);
      {{dz}}[gb + i] = CE_W * INV_B * (exp({{z}}[zb + i] - lse) - select(0.0, 1.0, i == y)) + KD_W * TEMP * INV_B * (exp(lps) - pt);
    }
    let kd = TEMP * TEMP * kl;
    loss += KD_W * kd;
    acc.w += kd;
//#endif
//#if DKD
    let ls = lse_s(zb, K);
    let lt = lse_t(gb, K);
    let lsr = lse_s(zb, y);
    let ltr = lse_t(gb, y);
    let lbs1 = {{z}}[zb + y] * INV_T - ls;
    let lbs2 = lsr - ls;
    let lbt1 = {{tch}}[gb + y] * INV_T - lt;
    let lbt2 = ltr - lt;
    let bs1 = exp(lbs1);
    let bt1 = exp(lbt1);
    let tckd = bt1 * (lbt1 - lbs1) + exp(lbt2) * (lbt2 - lbs2);
    var nckd = 0.0;
    let w = hp.warm * TEMP * INV_B;
    for (var j = 0u; j < K; j++) {
      let ceg = CE_W * INV_B * (exp({{z}}[zb + j] - lse) - select(0.0, 1.0, j == y));
      if (j == y) {
        {{dz}}[gb + j] = ceg + w * DKD_A * (bs1 - bt1);
      } else {
        let lqs = {{z}}[zb + j] * INV_T - lsr;
        let lqt = {{tch}}[gb + j] * INV_T - ltr;
        let qs = exp(lqs);
        let qt = exp(lqt);
        nckd += qt * (lqt - lqs);
        {{dz}}[gb + j] = ceg + w * (DKD_A * qs * (bt1 - bs1) + DKD_B * (qs - qt));
      }
    }
    loss += hp.warm * TEMP * TEMP * (DKD_A * tckd + DKD_B * nckd);
    acc.w += TEMP * TEMP * tckd;
    acc2 += TEMP * TEMP * nckd;
//#endif
    acc.x += loss;
  }
  red[lid] = acc;
  red2[lid] = acc2;
  workgroupBarrier();
  if (lid == 0u) {
    var t = vec4<f32>(0.0);
    var t2 = 0.0;
    for (var i = 0u; i < {{WG}}u; i++) {
      t += red[i];
      t2 += red2[i];
    }
    {{sums}}[0] += t.x * INV_B;
    {{sums}}[1] += t.y;
    {{sums}}[2] += 1.0;
    {{sums}}[3] += t.z * INV_B;
    {{sums}}[4] += t.w * INV_B;
    {{sums}}[5] += t2 * INV_B;
  }
}
