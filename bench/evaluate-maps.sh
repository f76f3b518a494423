#!/usr/bin/env bash
# Time and peak memory of `vitmix evaluate` on ViT-B/16 (random weights) with the paper's 24 maps (docs/benchmarks.md,
# "Paper-scale evaluation"). Writes the checkpoint once to $VITB (default /tmp/vitb/model.safetensors).
#   bash bench/evaluate-maps.sh VITMIX_DLL LABEL [STEPS=100] [IMAGES=1] [METHODS=rollout,gradcam,saliency,lrp] [COMBOS=2,3]
# e.g. build an older commit's CLI with `dotnet build src/Vitmix.Cli -c Release -o /tmp/base-bin` in its worktree and
# run this script once with /tmp/base-bin/vitmix.dll and once with this checkout's build.
set -euo pipefail
cd "$(dirname "$0")/.."
dll=${1:?usage: evaluate-maps.sh VITMIX_DLL LABEL [STEPS] [IMAGES] [METHODS] [COMBOS]}; label=${2:?label}
steps=${3:-100}; images=${4:-1}; methods=${5:-rollout,gradcam,saliency,lrp}; combos=${6:-2,3}
vitb=${VITB:-/tmp/vitb/model.safetensors}
if [ ! -f "$vitb" ]; then
  mkdir -p "$(dirname "$vitb")"
  dotnet run -c Release --project bench/Vitmix.Bench -- quick explain write-vitb "$vitb" >/dev/null
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
/usr/bin/time -f "$label steps=$steps images=$images methods=$methods combos=$combos: wall %e s, user %U s, peak RSS %M KB" \
  dotnet "$dll" evaluate --model "$vitb" --dataset "synth:$images:7:224" --methods "$methods" --combos "$combos" \
  --fusion gmean,product --deletion-steps "$steps" --report-images 0 --out "$out/run" 2>&1 | grep -E "peak RSS|curves:|error"
