// ONNX models built in the tests with onnx-proto, in the layout PyTorch's exporter writes
// (torch.onnx.export of a torchvision-style ResNet in eval mode): node names like
// `/layer1/layer1.0/conv1/Conv`, weights as float32 raw_data initializers named like the module's
// parameters, a symbolic batch dimension, Conv with a bias where batch norm was folded in.

import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
type Attr = onnxProto.onnx.IAttributeProto;
const A = onnx.AttributeProto.AttributeType;

export const ints = (name: string, values: number[]): Attr => ({ name, type: A.INTS, ints: values });
export const int = (name: string, value: number): Attr => ({ name, type: A.INT, i: value });
export const float = (name: string, value: number): Attr => ({ name, type: A.FLOAT, f: value });

export class OnnxBuilder {
  readonly nodes: onnxProto.onnx.INodeProto[] = [];
  readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private n = 0;

  /** A float32 initializer of zeros (the values do not matter to counting, the dims and bytes do). */
  weight(name: string, dims: number[]): string {
    const count = dims.reduce((a, b) => a * b, 1);
    this.initializers.push({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(4 * count) });
    return name;
  }

  /** An int64 initializer as raw_data, as PyTorch writes shape constants. */
  int64s(name: string, values: (number | bigint)[]): string {
    const raw = new Uint8Array(8 * values.length);
    const view = new DataView(raw.buffer);
    values.forEach((v, i) => view.setBigInt64(8 * i, BigInt(v), true));
    this.initializers.push({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: raw });
    return name;
  }

  /** A float32 initializer holding `values` (an SNL mask). */
  floats(name: string, dims: number[], values: number[]): string {
    this.initializers.push({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(Float32Array.from(values).buffer) });
    return name;
  }

  /** A float scalar initializer (Clip's bounds). */
  scalar(name: string, value: number): string {
    const raw = new Uint8Array(4);
    new DataView(raw.buffer).setFloat32(0, value, true);
    this.initializers.push({ name, dims: [], dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw });
    return name;
  }

  node(opType: string, name: string, inputs: string[], attribute: Attr[] = [], outputs = 1): string {
    const outs = Array.from({ length: outputs }, (_, i) => `/${name}_output_${i}_${this.n++}`);
    this.nodes.push({ opType, name: `/${name}/${opType}`, input: inputs, output: outs, attribute });
    return outs[0];
  }

  /** Conv with PyTorch's attributes; `bias` for a convolution with batch norm folded in (or a real bias). */
  conv(name: string, x: string, inC: number, outC: number, k: number, stride: number, pad: number, o: { bias?: boolean; group?: number; dilation?: number } = {}): string {
    const group = o.group ?? 1;
    const inputs = [x, this.weight(`${name}.weight`, [outC, inC / group, k, k])];
    if (o.bias) inputs.push(this.weight(`${name}.bias`, [outC]));
    const d = o.dilation ?? 1;
    return this.node('Conv', name, inputs, [ints('dilations', [d, d]), int('group', group), ints('kernel_shape', [k, k]), ints('pads', [pad, pad, pad, pad]), ints('strides', [stride, stride])]);
  }

  batchNorm(name: string, x: string, c: number): string {
    const p = (role: string) => this.weight(`${name}.${role}`, [c]);
    return this.node('BatchNormalization', name, [x, p('weight'), p('bias'), p('running_mean'), p('running_var')], [float('epsilon', 1e-5), float('momentum', 0.9)]);
  }

  model(o: { opset: number; input: (number | string)[]; output: (number | string)[]; last: string; name?: string }): Uint8Array {
    const info = (name: string, dims: (number | string)[]) => ({
      name,
      type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
    });
    const last = this.nodes.find((n) => n.output?.[0] === o.last)!;
    last.output = ['output'];
    for (const n of this.nodes) n.input = n.input?.map((i) => (i === o.last ? 'output' : i));
    const model = {
      irVersion: 8,
      producerName: 'pytorch',
      producerVersion: '2.1.0',
      opsetImport: [{ domain: '', version: o.opset }],
      graph: { name: o.name ?? 'main_graph', node: this.nodes, initializer: this.initializers, input: [info('input', o.input)], output: [info('output', o.output)] },
    };
    return onnx.ModelProto.encode(model).finish();
  }
}

export interface ResNetOptions {
  /** Conv with a bias and no BatchNormalization (batch norm folded, PyTorch's default in eval export). */
  folded: boolean;
  opset: number;
  res: number;
  classes: number;
  /** torchvision's ImageNet stem (7x7 stride 2, 3x3 max pool) instead of CIFAR's 3x3. */
  imagenet?: boolean;
  /** Reshape to [-1, 512] with a constant shape instead of Flatten. */
  reshape?: boolean;
}

/** ResNet18 (basic blocks, [2, 2, 2, 2], widths 64..512) in PyTorch's ONNX layout. */
export function resnet18Onnx(o: ResNetOptions): Uint8Array {
  const b = new OnnxBuilder();
  // torchvision's names: conv1 -> bn1, downsample.0 -> downsample.1.
  const bnName = (conv: string) => (conv.includes('conv') ? conv.replace('conv', 'bn') : conv.replace(/\.0$/, '.1'));
  const convBn = (name: string, x: string, inC: number, outC: number, k: number, stride: number, pad: number) =>
    o.folded ? b.conv(name, x, inC, outC, k, stride, pad, { bias: true }) : b.batchNorm(bnName(name), b.conv(name, x, inC, outC, k, stride, pad), outC);
  let x = o.imagenet ? convBn('conv1', 'input', 3, 64, 7, 2, 3) : convBn('conv1', 'input', 3, 64, 3, 1, 1);
  x = b.node('Relu', 'relu', [x]);
  if (o.imagenet) x = b.node('MaxPool', 'maxpool', [x], [int('ceil_mode', 0), ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1]), ints('strides', [2, 2])]);
  let c = 64;
  [64, 128, 256, 512].forEach((w, s) => {
    for (let blk = 0; blk < 2; blk++) {
      const p = `layer${s + 1}/layer${s + 1}.${blk}`;
      const stride = blk === 0 && s > 0 ? 2 : 1;
      const h = b.node('Relu', `${p}/relu`, [convBn(`${p}/conv1`, x, c, w, 3, stride, 1)]);
      const y = convBn(`${p}/conv2`, h, w, w, 3, 1, 1);
      const short = stride !== 1 || c !== w ? convBn(`${p}/downsample/downsample.0`, x, c, w, 1, stride, 0) : x;
      x = b.node('Relu', `${p}/relu_1`, [b.node('Add', `${p}/add`, [y, short])]);
      c = w;
    }
  });
  x = b.node('GlobalAveragePool', 'avgpool', [x]);
  x = o.reshape ? b.node('Reshape', 'Reshape', [x, b.int64s('/Constant_output_0', [-1, 512])]) : b.node('Flatten', 'Flatten', [x], [int('axis', 1)]);
  x = b.node('Gemm', 'fc', [x, b.weight('fc.weight', [o.classes, 512]), b.weight('fc.bias', [o.classes])], [float('alpha', 1), float('beta', 1), int('transB', 1)]);
  return b.model({ opset: o.opset, input: ['batch_size', 3, o.res, o.res], output: ['batch_size', o.classes], last: x });
}
