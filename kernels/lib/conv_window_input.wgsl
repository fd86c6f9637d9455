// The input rows of the forward conv's window (IN_ROWS, one per row the block reads; a row's names
// carry w.pre and w.suf, so that several rows can be live at once), each followed by the work the
// including window gives as the body. Aligned quads of the row segment (QUADS) are read as vec4s,
// one per-lane load instead of four; each column of the row the block reads (COLUMNS) then comes
// from a neighbour's quad (x.halo: a lane without that neighbour, at the start or end of a row or
// of its subgroup, loads the column itself), from one of the block's own quads (x.quad), or is
// read alone: masked where padding puts it outside the row, clamped where the last block
// overhangs the row's end (its outputs there are not stored). With ROWS each row also computes
// where it starts, and rows outside the image are read clamped and masked (PADDED) or only
// clamped (a last block past the image's end).
//#for w in IN_ROWS
//#if ROWS
//#if PADDED
    let iy{{w.suf}} = iy0 + {{w.ji}};
    let rv{{w.suf}} = u32(iy{{w.suf}}) < IN_H;
    let r{{w.suf}} = xi + min(u32(iy{{w.suf}}), IN_H - 1u) * IN_W;
//#else
    let r{{w.suf}} = xi + min(u32(iy0) + {{w.ju}}, IN_H - 1u) * IN_W;
//#endif
//#endif
//#if QUADS
      let r4{{w.suf}} = (r{{w.suf}} + ox0 * STRIDE) / 4u;
//#for q in QUADS
//#if MASKED_ROWS
      let xq{{w.pre}}{{q.qd}} = select(vec4<f32>(0.0), {{x_in4}}[r4{{w.suf}} + {{q.at}}], rv{{w.suf}});
//#else
      let xq{{w.pre}}{{q.qd}} = {{x_in4}}[r4{{w.suf}} + {{q.at}}];
//#endif
//#endfor
//#endif
//#for x in COLUMNS
//#if x.halo
      var x{{w.pre}}{{x.j}} = subgroupShuffle(xq{{w.pre}}{{x.hq}}.{{x.comp}}, {{x.lane}});
      if (!{{x.valid}}) {
//#if MASKED_ROWS
        x{{w.pre}}{{x.j}} = select(0.0, {{x_in}}[r{{w.suf}} + min(u32(ix0 + {{x.ji}}), IN_W - 1u)], rv{{w.suf}} && u32(ix0 + {{x.ji}}) < IN_W);
//#else
        x{{w.pre}}{{x.j}} = select(0.0, {{x_in}}[r{{w.suf}} + min(u32(ix0 + {{x.ji}}), IN_W - 1u)], u32(ix0 + {{x.ji}}) < IN_W);
//#endif
      }
//#else
//#if x.quad
      let x{{w.pre}}{{x.j}} = xq{{w.pre}}{{x.qd}}.{{x.comp}};
//#else
//#if PADDED
//#if MASKED_ROWS
      let x{{w.pre}}{{x.j}} = select(0.0, {{x_in}}[r{{w.suf}} + min(u32(ix0 + {{x.ji}}), IN_W - 1u)], rv{{w.suf}} && u32(ix0 + {{x.ji}}) < IN_W);
//#else
      let x{{w.pre}}{{x.j}} = select(0.0, {{x_in}}[r{{w.suf}} + min(u32(ix0 + {{x.ji}}), IN_W - 1u)], u32(ix0 + {{x.ji}}) < IN_W);
//#endif
//#else
//#if OVERHANG
      let x{{w.pre}}{{x.j}} = {{x_in}}[r{{w.suf}} + min(u32(ix0) + {{x.ju}}, IN_W - 1u)];
//#else
      let x{{w.pre}}{{x.j}} = {{x_in}}[r{{w.suf}} + u32(ix0) + {{x.ju}}];
//#endif
//#endif
//#endif
//#endif
//#endfor
//#body
//#endfor
