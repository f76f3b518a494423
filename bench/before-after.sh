#!/usr/bin/env bash
# Times the engine of two commits in one run (docs/benchmarks.md): the same program (bench/BeforeAfter) built against
# each commit's library, alternating before/after processes so both see the same machine minutes.
#   bash bench/before-after.sh BEFORE_REV [AFTER_REV=HEAD] [ROUNDS=2]
#   MODE=curve bash bench/before-after.sh ...   the deletion curve against 101 batch-16 forwards instead
#   BATCHES="1" RUNS=5 bash bench/before-after.sh ...   only these batch sizes, this many timed runs each (default: 1 16, the program's own)
set -euo pipefail
cd "$(dirname "$0")/.."
before=${1:?usage: before-after.sh BEFORE_REV [AFTER_REV] [ROUNDS]}; after=${2:-HEAD}; rounds=${3:-2}
work=$(mktemp -d)
trap 'git worktree remove --force "$work/before" >/dev/null 2>&1 || true; git worktree remove --force "$work/after" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
for side in before after; do
  rev=$([ $side = before ] && echo "$before" || echo "$after")
  git worktree add -q --detach "$work/$side" "$rev"
  dotnet build "$work/$side/src/Vitmix" -c Release -o "$work/$side-lib" >/dev/null
  # The explanation pass became disposable (its maps go back to the buffer arena) with the layer engine.
  disposable=$(grep -q "IDisposable" "$work/$side/src/Vitmix/Explain/ExplanationPass.cs" && echo true || echo false)
  dotnet build bench/BeforeAfter -c Release -o "$work/$side-bin" -p:VitmixCore="$work/$side-lib/Vitmix.Core.dll" \
    -p:PassIsDisposable=$disposable -p:BaseIntermediateOutputPath="$work/$side-obj/" >/dev/null
done
dotnet build-server shutdown >/dev/null 2>&1 || true   # a build server left running takes a core
echo "before = $(git rev-parse --short "$before"), after = $(git rev-parse --short "$after"); $(grep -o -w -E 'avx512f|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')"
for batch in $([ "${MODE:-}" = curve ] && echo curve || echo "${BATCHES:-1 16}"); do
  for round in $(seq "$rounds"); do
    for side in before after; do dotnet "$work/$side-bin/BeforeAfter.dll" "$batch" "$side" ${RUNS:-}; done
  done
done
