// Reading a row in aligned vec4 quads, shared by the gradient kernels (conv-dx.ts reads dy this way,
// conv-dw.ts its input; their templates compute each quad's index, kernels/train/conv_dx.wgsl and
// conv_dw.wgsl). On lavapipe every load whose address differs between lanes is a loop over
// the lanes, so one vec4 load for four neighbouring columns is less work and less code to compile
// than four scalar loads. Columns are counted from a 4-aligned start; in a row whose length is a
// multiple of 4 a quad is wholly inside the row or wholly outside, so one mask covers its columns.

/** A name fragment for a signed offset: m1, p0, p2. */
export const signedName = (d: number): string => (d < 0 ? `m${-d}` : `p${d}`);

/** The quad holding column `c` (counted from the aligned start) and the component within it. */
export function quadOf(c: number): { qd: number; comp: string } {
  const qd = Math.floor(c / 4);
  return { qd, comp: 'xyzw'[c - 4 * qd] };
}
