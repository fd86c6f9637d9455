// The network the tuning tests tune: small enough to time every candidate in seconds, with a
// downsampling stage so that conv, its gradients and fc all have signatures of their own.
export const TUNE_SOURCE = `network Tiny {
  input 3 x 8 x 8
  classes 10
  stem conv3x3(4)
  block basic
  stages depths [1, 1] widths [2]
  head avgpool fc
}
`;
