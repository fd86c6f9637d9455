// m: the SNL mask entry of the element's pixel (MASK_PIXEL; the mask has the activation's layout
// over the ReLU's channels, so vec4 planes read it as vec4) or of its channel (one f32 each,
// splat over the lanes), clamped to [0, 1], since training may move an entry past them.
//#if MASK_PIXEL
      let m = clamp({{mask}}[{{M_OFF}} + (c - {{RELU_START}}) * {{PLANE}} + p], {{T}}(0.0), {{T}}(1.0));
//#else
      let m = clamp({{T}}({{mask}}[{{M_OFF}} + c - {{RELU_START}}]), {{T}}(0.0), {{T}}(1.0));
//#endif
