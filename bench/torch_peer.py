"""PyTorch CPU peer of bench/infer.ts and bench/train.ts, driven over stdin/stdout.

Builds hrn's layer graph (graph.json, written by bench/torch-peer.ts) with torch.nn.functional in
NCHW, loads the same weights and input, and answers commands, one JSON line each:
  check          inference: the logits' file is written; training: the first step's loss
  run N          N batches (inference) or N training steps; wall and this process's CPU time
  quit
Inference folds batch norm into the preceding convolution (as hrn's inference plan does) and runs
under torch.inference_mode(). Training: SGD with momentum 0.9 and weight decay, batch statistics
in batch norm (running statistics updated), mean cross-entropy.
"""

import json
import os
import sys
import time

import torch
import torch.nn.functional as F

BN_EPS = 1e-5


def load(dirname):
    with open(os.path.join(dirname, "setup.json")) as f:
        setup = json.load(f)
    blob = open(os.path.join(dirname, "tensors.bin"), "rb").read()
    tensors = {}
    for name, (offset, shape) in setup["tensors"].items():
        n = 1
        for d in shape:
            n *= d
        t = torch.frombuffer(bytearray(blob[offset : offset + 4 * n]), dtype=torch.float32)
        tensors[name] = t.reshape(shape).clone()
    return setup, tensors


def fold_bn(nodes, w):
    """conv -> bn pairs (the conv feeding only that bn) as one conv with a bias."""
    users = {}
    for n in nodes:
        for i in n.get("inputs", [n["input"]] if "input" in n else []):
            users[i] = users.get(i, 0) + 1
    folded = {}
    for n in nodes:
        if n["op"] != "bn":
            continue
        src = nodes[n["input"]]
        if src["op"] != "conv" or users.get(src["id"], 0) != 1:
            continue
        p = n["name"]
        scale = w[p + ".gamma"] / torch.sqrt(w[p + ".running_var"] + BN_EPS)
        weight = w[src["name"] + ".weight"] * scale.reshape(-1, 1, 1, 1)
        bias = w[p + ".beta"] - w[p + ".running_mean"] * scale
        if src.get("bias"):
            bias = bias + w[src["name"] + ".bias"] * scale
        folded[src["id"]] = (weight.contiguous(), bias.contiguous())
        folded[n["id"]] = None  # the bn becomes the identity
    return folded


def forward(nodes, output, w, x, training, folded=None):
    vals = [None] * len(nodes)
    for n in nodes:
        op = n["op"]
        if op == "input":
            v = x
        elif op == "conv":
            if folded is not None and n["id"] in folded:
                weight, bias = folded[n["id"]]
            else:
                weight = w[n["name"] + ".weight"]
                bias = w[n["name"] + ".bias"] if n.get("bias") else None
            v = F.conv2d(vals[n["input"]], weight, bias, n["stride"], n["pad"], 1, n["groups"])
        elif op == "bn":
            if folded is not None and n["id"] in folded:
                v = vals[n["input"]]
            else:
                p = n["name"]
                v = F.batch_norm(vals[n["input"]], w[p + ".running_mean"], w[p + ".running_var"], w[p + ".gamma"], w[p + ".beta"], training, 0.1, BN_EPS)
        elif op == "relu":
            a = vals[n["input"]]
            s, e, c = n["start"], n["end"], n["shape"]["c"]
            v = F.relu(a) if s == 0 and e == c else torch.cat([a[:, :s], F.relu(a[:, s:e]), a[:, e:]], 1)
        elif op == "add":
            v = vals[n["inputs"][0]] + vals[n["inputs"][1]]
        elif op == "slice":
            v = vals[n["input"]][:, n["start"] : n["end"]]
        elif op == "concat":
            v = torch.cat([vals[i] for i in n["inputs"]], 1)
        elif op == "avgpool":
            v = vals[n["input"]].mean((2, 3))
        elif op == "fc":
            v = F.linear(vals[n["input"]].flatten(1), w[n["name"] + ".weight"], w[n["name"] + ".bias"])
        else:
            raise ValueError("unknown op " + op)
        vals[n["id"]] = v
    return vals[output]


def main():
    dirname = sys.argv[1]
    setup, w = load(dirname)
    torch.set_num_threads(setup["threads"])
    nodes, output = setup["graph"]["nodes"], setup["graph"]["output"]
    x = w.pop("__input__")
    mode = setup["mode"]
    if mode == "infer":
        folded = fold_bn(nodes, w)

        def once():
            with torch.inference_mode():
                return forward(nodes, output, w, x, False, folded)

    else:
        labels = torch.tensor(setup["labels"], dtype=torch.long)
        params = [w[name] for name in setup["params"]]
        for p in params:
            p.requires_grad_(True)
        opt = torch.optim.SGD(params, lr=setup["lr"], momentum=0.9, weight_decay=setup["weightDecay"])

        def once():
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(forward(nodes, output, w, x, True), labels)
            loss.backward()
            opt.step()
            return loss

    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        if cmd[0] == "check":
            out = once()
            if mode == "infer":
                out.contiguous().numpy().tofile(os.path.join(dirname, "logits.bin"))
                reply = {"ok": True}
            else:
                reply = {"loss": float(out.detach())}
        elif cmd[0] == "run":
            reps = int(cmd[1])
            c0, t0 = time.process_time(), time.perf_counter()
            for _ in range(reps):
                out = once()
            if mode == "train":
                float(out.detach())
            reply = {"wallMs": 1000 * (time.perf_counter() - t0), "cpuMs": 1000 * (time.process_time() - c0)}
        elif cmd[0] == "quit":
            break
        else:
            reply = {"error": "unknown command " + cmd[0]}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
