#!/usr/bin/env bash
# The ViTmiX VOC protocol as a Slurm job array of 10 tasks (docs/scale-out.md). Submit it with submit.sh, which
# queues merge.sh to run after every task has succeeded; or alone: sbatch evaluate-array.sh
#
# Task i (SLURM_ARRAY_TASK_ID) evaluates every 10th image starting at image i and writes only
# $VITMIX_OUT/shard-i-of-10: `--shard auto` reads the task id from Slurm (and the array's size and first id:
# SLURM_ARRAY_TASK_COUNT, SLURM_ARRAY_TASK_MIN). To change N, change --array=0-(N-1) and --shards N together.
#
#SBATCH --job-name=vitmix-evaluate
#SBATCH --array=0-9
# Cores per task: the engine's GEMM runs one thread per core .NET sees, which is the task's CPU set here.
#SBATCH --cpus-per-task=4
# ViT-B/16: 346 MB of weights; one image with the 24 maps and their 100-step curves peaked at 1.07 GB RSS
# (docs/benchmarks.md); 2 GB with room for the GC.
#SBATCH --mem=2G
# Wall time per task; see "How long the VOC protocol takes" in docs/scale-out.md. A task stopped by the limit
# keeps its finished images: submit the array again and each shard resumes where it stopped.
#SBATCH --time=2-00:00:00
# One log per task: %A is the array's job id, %a the task id. The logs/ folder must exist (submit.sh makes it):
# Slurm does not create it, and a task whose log cannot be opened fails without a word.
#SBATCH --output=logs/vitmix-evaluate-%A_%a.out
# Requeued after a node failure or preemption; the task then resumes its shard.
#SBATCH --requeue
set -euo pipefail

# Where things are; export them before sbatch to change them (sbatch passes the environment on).
#   VITMIX_DATA  the folder holding VOCdevkit/VOC2012
#   VITMIX_OUT   the run folder; the tasks write VITMIX_OUT/shard-i-of-10 in it, merge.sh reads them
#   HF_HOME      the Hugging Face cache on a shared file system, filled beforehand with `vitmix fetch`
#                (compute nodes often have no internet access)
VITMIX_DATA="${VITMIX_DATA:-$HOME/data}"
VITMIX_OUT="${VITMIX_OUT:-$PWD/results/voc-run}"
export HF_HOME="${HF_HOME:-$HOME/.cache/huggingface}"
# Use only that cache: a missing checkpoint fails at once, naming the cache, instead of ten tasks downloading it.
export HF_HUB_OFFLINE=1

# `vitmix` on PATH: `dotnet tool install --global --add-source artifacts Vitmix.Tool` (README.md, "Install"), or a
# `dotnet publish src/Vitmix.Cli -c Release -o ~/vitmix` folder added to PATH. On clusters that run containers
# through Apptainer, run the same command in the image of deploy/Dockerfile instead (docs/scale-out.md):
#   apptainer exec --bind "$HF_HOME:/cache/huggingface" vitmix.sif vitmix evaluate ...
# The bind puts the cache where the image's own HF_HOME points (an image's variables win over the host's in
# Apptainer); $HOME and the working folder are mounted anyway, other file systems with --bind /scratch etc.
#
# The protocol of the ViTmiX paper on Pascal VOC 2012 val: images whose top-1 probability is at least 0.85, the
# four grid methods alone and in every 2- and 3-way combination fused by geometric mean and product
# (4 + 10 x 2 = 24 maps), 100-step deletion and insertion curves. Keep it identical to evaluate-job.yaml's
# to compare the two, and identical across the tasks (merge refuses shards of different settings).
vitmix evaluate --model timm/vit_base_patch16_224.augreg2_in21k_ft_in1k \
    --dataset "voc:$VITMIX_DATA/VOCdevkit" \
    --methods rollout,gradcam,saliency,lrp --combos 2,3 --fusion gmean,product \
    --min-confidence 0.85 --deletion-steps 100 \
    --out "$VITMIX_OUT" --shard auto --shards 10
