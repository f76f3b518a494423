#!/usr/bin/env bash
# Combines the shards of evaluate-array.sh into one results.csv, summary.csv, printed table and report.html
# (docs/scale-out.md). submit.sh queues it with --dependency=afterok on the array, so it starts only once every
# task has succeeded; after a failed task, resubmit the array (finished shards are kept) or run
# `vitmix merge "$VITMIX_OUT" --out "$VITMIX_OUT/merged" --allow-partial` by hand to combine what there is.
#
# merge checks before writing anything: every shard-i-of-10 folder present and finished, and all of them from
# the same settings (model, dataset, methods, fusion, thresholds, steps, code version). A missing, unfinished or
# different shard is refused, naming it.
#
#SBATCH --job-name=vitmix-merge
# Merging reads the shards' CSV files and draws the report: one core, little memory, no model.
#SBATCH --cpus-per-task=1
#SBATCH --mem=1G
#SBATCH --time=00:30:00
#SBATCH --output=logs/vitmix-merge-%j.out
set -euo pipefail

# The same folder as evaluate-array.sh's --out (export VITMIX_OUT before submit.sh to change both).
VITMIX_OUT="${VITMIX_OUT:-$PWD/results/voc-run}"

# The folder holding shard-0-of-10 ... shard-9-of-10; the merged run goes into a folder of its own beside them.
# (With Apptainer: apptainer exec vitmix.sif vitmix merge ...)
vitmix merge "$VITMIX_OUT" --out "$VITMIX_OUT/merged"
