#!/usr/bin/env bash
# A 100-step deletion curve against its own 101 batch-16 forwards (bench/BeforeAfter curve, alternating in one
# process) and, back to back, the reference's one-forward-per-step loop in PyTorch (bench/pytorch/deletion.py),
# ROUNDS times (docs/benchmarks.md, "Paper-scale evaluation"). Needs python3-torch and libopenblas0-openmp.
#   bash bench/curve-vs-pytorch.sh [ROUNDS=2]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet build src/Vitmix -c Release -o "$work/lib" >/dev/null
dotnet build bench/BeforeAfter -c Release -o "$work/bin" -p:VitmixCore="$work/lib/Vitmix.Core.dll" -p:PassIsDisposable=true \
  -p:BaseIntermediateOutputPath="$work/obj/" >/dev/null
dotnet build-server shutdown >/dev/null 2>&1 || true
for round in $(seq "$rounds"); do
  date -u +%H:%M:%S
  dotnet "$work/bin/BeforeAfter.dll" curve this
  (cd bench/pytorch && LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 deletion.py)
done
