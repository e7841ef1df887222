#!/bin/bash
# One task of the pi scaling array: run pi.py on this task's rank count.
# Submitted by jobscripts/pi-scaling.sh, which sets the array, task count and output.
#SBATCH --time=00:10:00        # wall-clock limit per task
#SBATCH --mem-per-cpu=500M     # memory per CPU (one CPU per rank)
set -euo pipefail
# shellcheck source=jobscripts/common.sh
source "${SLURM_SUBMIT_DIR:-.}/jobscripts/common.sh"

read -r -a counts <<< "$HPCLAB_COUNTS"
ranks="${counts[$SLURM_ARRAY_TASK_ID]}"
# The allocation fits the largest count; this task uses only the first $ranks.
srun --kill-on-bad-exit=1 --ntasks="$ranks" \
     python -m mpi4py jobscripts/programs/pi.py "$HPCLAB_SAMPLES" \
     | tee "$HPCLAB_RESULTS/ranks-$ranks.txt"
