#!/bin/bash
# The 2-D heat equation on a 2 x 2 grid of ranks spread over two nodes (lesson 09b).
# Submit from the course root:  sbatch jobscripts/heat.sh [N] [STEPS] [FILE]
#SBATCH --job-name=heat        # name shown by squeue; %x in --output
#SBATCH --nodes=2              # two hosts: halos really cross the network
#SBATCH --ntasks-per-node=2    # 2 ranks on each: srun starts nodes x this many
#SBATCH --mem-per-cpu=500M     # memory per CPU (one CPU per rank); more is killed
#SBATCH --time=00:05:00        # wall-clock limit; short jobs start sooner
#SBATCH --output=%x-%j.out     # %x = job name, %j = job id
set -euo pipefail
# shellcheck source=jobscripts/common.sh
source "${SLURM_SUBMIT_DIR:-.}/jobscripts/common.sh"

n="${1:-128}"
steps="${2:-200}"
# Every rank writes its block of the field into this one file, so it must be on a
# file system all the nodes share (the submit directory is, on any cluster).
out="${3:-heat-${SLURM_JOB_ID}.bin}"
# srun knows the task count from the allocation: never repeat it here.
srun --kill-on-bad-exit=1 python -m mpi4py jobscripts/programs/heat.py --n "$n" --steps "$steps" --out "$out"
echo "field written to $out ($(stat -c %s "$out") bytes): np.fromfile(\"$out\").reshape($n, $n)"
