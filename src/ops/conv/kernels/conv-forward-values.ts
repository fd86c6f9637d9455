// The values of kernels/lib/conv_forward.wgsl, which both forward convolution kernels include.

import { i, u, type TemplateValues } from '../../../codegen/template.js';
import type { ConvShape } from '../../../codegen/conv-layout.js';
import { type ViewLayout, viewValues } from '../../../codegen/kernels/common.js';

/** What the shared declarations need of a forward conv's spec. */
export interface ForwardConvViews extends Pick<ConvShape, 'inC' | 'outC' | 'groups' | 'kernel' | 'stride' | 'pad'> {
  name: string;
  input: ViewLayout;
  output: ViewLayout;
  residual?: ViewLayout;
}

/**
 * Sizes, views and window of a forward conv. `d` is the plane as the kernel walks it: the direct
 * kernel treats a flat 1x1 convolution as one long row, so its sizes are not always the spec's.
 */
export function forwardConvValues(spec: ForwardConvViews, d: { ih: number; iw: number; oh: number; ow: number }): TemplateValues {
  return {
    IH: u(d.ih),
    IW: u(d.iw),
    OH: u(d.oh),
    OW: u(d.ow),
    OHW: u(d.oh * d.ow),
    ...viewValues(spec.name, 'IN', spec.input),
    ...viewValues(spec.name, 'OUT', spec.output),
    ...viewValues(spec.name, 'RES', spec.residual),
    STRIDE: u(spec.stride),
    PAD: i(spec.pad),
    KSIZE: u(spec.kernel),
    CIG: u(spec.inC / spec.groups),
    COG: u(spec.outC / spec.groups),
  };
}
