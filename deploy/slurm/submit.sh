#!/usr/bin/env bash
# Submits the sharded VOC evaluation and its merge (docs/scale-out.md):
#
#   cd /scratch/$USER/vitmix && path/to/deploy/slurm/submit.sh
#   squeue -u "$USER"          # the array's tasks, then the merge (pending, reason "Dependency")
#
# Run it from a folder on the shared file system: the jobs start there, so logs/ and the default results/ land in
# it. Settings travel to both jobs through the environment (sbatch passes it on), e.g.
#   VITMIX_DATA=/scratch/$USER/data VITMIX_OUT=/scratch/$USER/voc-run HF_HOME=/scratch/$USER/hf path/to/submit.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

# Slurm opens each job's --output file (logs/...) itself and does not create missing folders.
mkdir -p logs

# --parsable prints just the job id (and ";cluster" on multi-cluster sites: keep the id).
jid=$(sbatch --parsable "$here/evaluate-array.sh")
jid=${jid%%;*}
echo "evaluate: job array $jid (tasks ${jid}_0 .. ${jid}_9)"

# afterok on an array waits for every task and runs only if all of them succeeded. If one fails, the merge stays
# pending with reason DependencyNeverSatisfied, or is cancelled where the site sets kill_invalid_depend (see
# merge.sh for what to do then).
mid=$(sbatch --parsable --dependency=afterok:"$jid" "$here/merge.sh")
mid=${mid%%;*}
echo "merge:    job $mid, after every task of $jid succeeded"
