// Each command's one-line summary, in one place: the top-level help lists them without loading
// any command's module (those load only when their command runs), and each command's --help uses
// the same line.

export const COMMAND_SUMMARIES = {
  check: 'Parse and check a .hrn file (its networks and sweep blocks); print diagnostics only. Exit 1 if there is an error.',
  stats: 'ReLUs, FLOPs and parameters per stage, the ReLU distribution and the private-inference cost (of a .hrn network or an .onnx file).',
  equalize: 'ReLU equalization (Algorithm 1): list the HybReNet family of a network, with counts.',
  design: 'List the candidates near a ReLU budget (family member x base width x pipeline) with their PI latency, without training.',
  compile: 'Run the passes, lower to the layer graph and generate WGSL kernels with an execution plan.',
  tune: "Time candidate kernel schedules on this device and cache the fastest per kernel signature, for compile, train and infer.",
  infer: 'Run a network on the GPU (WebGPU) over a labeled data set: predictions and accuracy.',
  train: 'Train a network on the GPU (WebGPU): SGD with momentum, cosine schedule, checkpoints, optional distillation.',
  export: 'Write a network with its weights as ONNX (opset 13) or PyTorch safetensors, for private-inference frameworks.',
  sweep: 'Train every run of a sweep (networks x --set values x pipelines x seeds), resumable, locally or on a Redis queue.',
  worker: 'Train runs from a sweep queue (BullMQ on Redis) until stopped.',
  criticality: "Measure each stage's ReLU criticality C_k by training (each stage's ReLUs alone, and none; distilled with --teacher), print C_k and the order.",
  report: "Tables and SVG plots of a sweep's results (mean and spread over seeds, Pareto front, failed runs), or one training's curves.",
  lsp: 'Language server for editors (diagnostics, hover counts, completion, go to definition); started by the editor with --stdio.',
} as const;
