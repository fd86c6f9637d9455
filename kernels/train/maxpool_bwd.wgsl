// Max pooling backward: one invocation per input element (image, channel, row, column). The element
// gathers dy of every window that contains it and whose first maximum (row-major window order) it
// is, so overlapping windows need no atomics; written (=) or accumulated (+=) into its gradient.

{{BINDINGS}}

//#include pool_window
const TOTAL: u32 = {{TOTAL}};          // batch * C * IH * IW
const X_BATCH_STRIDE: u32 = {{X_BS}};
const X_OFFSET: u32 = {{X_OFF}};
const G_BATCH_STRIDE: u32 = {{G_BS}};
const G_OFFSET: u32 = {{G_OFF}};
const DX_BATCH_STRIDE: u32 = {{DX_BS}};
const DX_OFFSET: u32 = {{DX_OFF}};
const NX: u32 = {{NX}};

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let e = (wid.x + wid.z * NX) * {{WG}}u + lid;
  if (e >= TOTAL) {
    return;
  }
  let col = e % IW;
  let row = (e / IW) % IH;
  let c = (e / (IW * IH)) % C;
  let n = e / (IW * IH * C);
  let xPlane = n * X_BATCH_STRIDE + X_OFFSET + c * IH * IW;
  let me = xPlane + row * IW + col;
  // Windows (oh, ow) with oh*S <= row + P < oh*S + K, likewise for columns.
  let r = row + P;
  let q = col + P;
  let ohLo = select(0u, (r - K + 1u + S - 1u) / S, r + 1u > K);
  let owLo = select(0u, (q - K + 1u + S - 1u) / S, q + 1u > K);
  let ohHi = min(r / S, OH - 1u);
  let owHi = min(q / S, OW - 1u);
  var acc = 0.0;
  for (var oh = ohLo; oh <= ohHi; oh++) {
    let rows = windowRows(oh);
    for (var ow = owLo; ow <= owHi; ow++) {
      let cols = windowCols(ow);
      var best = xPlane + rows.x * IW + cols.x;
      for (var a = rows.x; a < rows.y; a++) {
        for (var b = cols.x; b < cols.y; b++) {
          if ({{x_in}}[xPlane + a * IW + b] > {{x_in}}[best]) {
            best = xPlane + a * IW + b;
          }
        }
      }
      if (best == me) {
        acc += {{g_in}}[n * G_BATCH_STRIDE + G_OFFSET + c * OH * OW + oh * OW + ow];
      }
    }
  }
  let i = n * DX_BATCH_STRIDE + DX_OFFSET + c * IH * IW + row * IW + col;
//#if ACC
  {{dx}}[i] = {{dx}}[i] + acc;
//#else
  {{dx}}[i] = acc;
//#endif
}
