"""Load a network exported by `hrn export --format pytorch` into PyTorch.

    from hrn_torch import load_hrn
    model = load_hrn("net.safetensors")      # an nn.Module in eval mode, weights loaded strictly
    logits = model(images)                   # images: float32 [N, C, H, W], normalized as in training

The safetensors file holds a torchvision-style state dict (conv1, bn1, layer1.0.conv1, ...,
layer2.0.downsample.0, fc) and, in its metadata under "hrn.graph", the layer graph hrn compiled
(after any pipeline: culled and thinned ReLUs, ReLU-reuse slices and concatenations). HrnNet builds
one module per convolution, batch norm and classifier with those names, so
load_state_dict(strict=True) checks that every tensor is present and has the right shape.

Needs only torch (any 1.x or 2.x). The `safetensors` package is used when installed; otherwise the
file is read directly (it is a JSON header followed by little-endian float32 data).
"""

import json
import struct
import sys

import torch
from torch import nn
import torch.nn.functional as F

GRAPH_KEY = "hrn.graph"
GRAPH_VERSION = 1


def read_safetensors(path):
    """(state dict, metadata) of a float32 safetensors file."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    metadata = header.pop("__metadata__", {})
    try:
        from safetensors.torch import load_file

        return load_file(path), metadata
    except ImportError:
        pass
    body = bytearray(data[8 + n :])
    tensors = {}
    for name, entry in header.items():
        if entry["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {name} is {entry['dtype']}, expected F32")
        begin, end = entry["data_offsets"]
        flat = torch.frombuffer(body, dtype=torch.float32, count=(end - begin) // 4, offset=begin)
        tensors[name] = flat.clone().reshape(entry["shape"])
    return tensors, metadata


class HrnNet(nn.Module):
    """The inference network described by an hrn graph description (the "hrn.graph" metadata)."""

    def __init__(self, graph):
        super().__init__()
        if graph.get("version") != GRAPH_VERSION:
            raise ValueError(f"graph description version {graph.get('version')} is not {GRAPH_VERSION}")
        self.graph_name = graph["name"]
        self.nodes = graph["nodes"]
        self.output = graph["output"]
        for node in self.nodes:
            op = node["op"]
            if op == "conv":
                layer = nn.Conv2d(
                    node["inChannels"], node["outChannels"], node["kernel"], stride=node["stride"],
                    padding=node["pad"], groups=node["groups"], bias=node["bias"],
                )
            elif op == "bn":
                layer = nn.BatchNorm2d(node["channels"], eps=node["eps"])
            elif op == "fc":
                layer = nn.Linear(node["inFeatures"], node["outFeatures"])
            else:
                continue
            self._place(node["module"], layer)

    def _place(self, path, layer):
        """Registers `layer` at a dotted path such as layer2.0.conv1, creating containers on the way."""
        *parents, leaf = path.split(".")
        owner = self
        for part in parents:
            if not hasattr(owner, part):
                owner.add_module(part, nn.Module())
            owner = getattr(owner, part)
        owner.add_module(leaf, layer)

    def _module(self, path):
        owner = self
        for part in path.split("."):
            owner = getattr(owner, part)
        return owner

    def forward(self, x):
        values = []
        for node in self.nodes:
            op, ins = node["op"], [values[i] for i in node["inputs"]]
            if op == "input":
                y = x
            elif op in ("conv", "bn"):
                y = self._module(node["module"])(ins[0])
            elif op == "fc":
                y = self._module(node["module"])(torch.flatten(ins[0], 1))
            elif op == "relu":
                # max(x, 0) on channels [start, end) only: the rest passes unchanged.
                s, e, c = node["start"], node["end"], node["channels"]
                t = ins[0]
                y = torch.cat([t[:, :s], F.relu(t[:, s:e]), t[:, e:c]], dim=1) if (s, e) != (0, c) else F.relu(t)
            elif op == "add":
                y = ins[0] + ins[1]
            elif op == "slice":
                y = ins[0][:, node["start"] : node["end"]]
            elif op == "concat":
                y = torch.cat(ins, dim=1)
            elif op == "avgpool":
                y = F.adaptive_avg_pool2d(ins[0], 1)
            elif op == "maxpool":
                # PyTorch pads max pooling with -inf, as hrn does: padding never wins a window.
                y = F.max_pool2d(ins[0], node["kernel"], node["stride"], node.get("pad", 0))
            else:
                raise ValueError(f"unknown op {op}")
            values.append(y)
        return values[self.output]


def load_hrn(path):
    """The network of an `hrn export --format pytorch` file, weights loaded strictly, in eval mode."""
    tensors, metadata = read_safetensors(path)
    if GRAPH_KEY not in metadata:
        raise ValueError(f"{path}: no {GRAPH_KEY} metadata; export it with hrn export --format pytorch")
    model = HrnNet(json.loads(metadata[GRAPH_KEY]))
    model.load_state_dict(tensors, strict=True)
    return model.eval()


if __name__ == "__main__":
    # python3 hrn_torch.py net.safetensors: load the file and print the logits of a zero image.
    net = load_hrn(sys.argv[1])
    shape = net.nodes[0]["shape"]
    with torch.no_grad():
        print(net.graph_name, net(torch.zeros(1, *shape))[0, :5].tolist())
