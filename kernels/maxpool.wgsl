// Max pooling over K x K windows with stride S and P of padding: one invocation per output element
// (image, channel, row, column). The first maximum in row-major window order wins a tie, as in
// the backward kernel (train/maxpool_bwd.wgsl) and the reference (src/ops/maxpool/reference.ts).

{{BINDINGS}}

//#include pool_window
const TOTAL: u32 = {{TOTAL}};          // batch * C * OH * OW
const IN_BATCH_STRIDE: u32 = {{IN_BS}};
const IN_OFFSET: u32 = {{IN_OFF}};
const OUT_BATCH_STRIDE: u32 = {{OUT_BS}};
const OUT_OFFSET: u32 = {{OUT_OFF}};
//#include per_element

fn element(e: u32) {
  let ow = e % OW;
  let oh = (e / OW) % OH;
  let c = (e / (OW * OH)) % C;
  let n = e / (OW * OH * C);
  let plane = n * IN_BATCH_STRIDE + IN_OFFSET + c * IH * IW;
  let rows = windowRows(oh);
  let cols = windowCols(ow);
  var m = {{x_in}}[plane + rows.x * IW + cols.x];
  for (var a = rows.x; a < rows.y; a++) {
    for (var b = cols.x; b < cols.y; b++) {
      m = max(m, {{x_in}}[plane + a * IW + b]);
    }
  }
  {{y_out}}[n * OUT_BATCH_STRIDE + OUT_OFFSET + c * OH * OW + oh * OW + ow] = m;
}
