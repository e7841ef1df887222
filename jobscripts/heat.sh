#!/bin/bash
# The 2-D heat equation on a 2 x 2 grid of ranks spread over two nodes (lesson 09b).
# Submit from the course root:  sbatch jobscripts/heat.sh [N] [STEPS] [FILE]
#SBATCH --job-name=heat        # name shown by squeue; %x in --output
#SBATCH --nodes=2              # two hosts: halos really cross the network
#SBATCH --ntasks-per-node=2    # 2 ranks on each: srun starts nodes x this many
#SBATCH --mem-per-cpu=500M     # per rank (one CPU each): its block only: ~180 MB at N=4096
#SBATCH --time=00:05:00        # wall-clock limit; short jobs start sooner
#SBATCH --output=%x-%j.out     # %x = job name, %j = job id
set -euo pipefail
# shellcheck source=jobscripts/common.sh
source "${SLURM_SUBMIT_DIR:-.}/jobscripts/common.sh"

n="${1:-128}"
steps="${2:-200}"
# Every rank writes its block of the field into this one file: it must be on a file
# system all the nodes share, and big files belong on scratch, not in $HOME (often a
# small, slow NFS quota). HPCLAB_SCRATCH (the site profile), else the site's $SCRATCH,
# else the submit directory, said out loud.
scratch="${HPCLAB_SCRATCH:-${SCRATCH:-}}"
if [[ -z "$scratch" ]]; then
    scratch="$PWD"
    echo "hpclab: no scratch directory (set HPCLAB_SCRATCH in the site profile); writing to $scratch" >&2
fi
out="${3:-$scratch/heat-${SLURM_JOB_ID}.bin}"
# Each rank holds only its block, so N can grow with the ranks. --check compares with
# a serial run that needs the whole N x N field on rank 0: only for small N.
check=()
if ((n <= 1024)); then
    check=(--check)
fi
# srun knows the task count from the allocation: never repeat it here.
srun --kill-on-bad-exit=1 python -m mpi4py jobscripts/programs/heat.py \
     --n "$n" --steps "$steps" --out "$out" "${check[@]}"
echo "field written to $out ($(stat -c %s "$out") bytes): np.fromfile(\"$out\").reshape($n, $n)"
