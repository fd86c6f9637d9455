#!/usr/bin/env bash
# The README's quick start, after setup: hrn's main job end to end on a bundled network. Compiles
# HRN-2x5x3x (m=2) to WGSL kernels, classifies Fashion-MNIST test images with the checkpoint that
# ships in checkpoints/, trains the network briefly on a subset of the training set, and classifies
# with the weights it just trained. Everything goes to out/quickstart/ (replaced on each run).
set -euo pipefail
cd "$(dirname "$0")/.."

net=examples/hrn-2x5x3x.hrn
set_m=(--set m=2)
data=fashion-mnist:/usr/share/datasets/fashion-mnist
out=out/quickstart
started=$(date +%s)

# Prints the step and the command (as a user would type it), then runs it.
step() {
  local title=$1
  shift
  printf '\n== %s\n$ hrn %s\n' "$title" "$*"
  node bin/hrn.js "$@"
}

rm -rf "$out"
step "1/4 compile: the network's passes, WGSL kernels and execution plan" \
  compile "$net" "${set_m[@]}" -o "$out/compiled"
step "2/4 infer with the shipped checkpoint (no training needed)" \
  infer "$net" "${set_m[@]}" --weights checkpoints/hrn-2x5x3x-m2 --data "$data" --limit 1000 --show 5
# Batch 64 everywhere: the evaluation after each epoch then uses the kernels step 2 compiled.
step "3/4 train briefly: 2 epochs on 5,000 training images, tested on 1,000" \
  train "$net" "${set_m[@]}" --data "$data" --subset 5000 --test-subset 1000 --epochs 2 --batch 64 --eval-batch 64 --out "$out/run"
step "4/4 infer with the weights just trained" \
  infer "$net" "${set_m[@]}" --weights "$out/run/checkpoint" --data "$data" --limit 1000 --show 5

printf '\nquick start: done in %s s; outputs in %s/ (compiled kernels, checkpoint, train.jsonl, metrics.csv)\n' "$(( $(date +%s) - started ))" "$out"
echo "next: docs/training.md trains the full data set; 'npx hrn --help' lists every command"
