#!/bin/bash
# Monte Carlo estimate of pi with MPI Reduce (lesson 09).
# Submit from the course root:  sbatch jobscripts/pi.sh [SAMPLES]
#SBATCH --job-name=pi          # name shown by squeue; %x in --output
#SBATCH --ntasks=4             # 4 ranks, wherever the scheduler finds room
#SBATCH --mem-per-cpu=500M     # memory per CPU (one CPU per rank); more is killed
#SBATCH --time=00:05:00        # wall-clock limit; short jobs start sooner
#SBATCH --output=%x-%j.out     # %x = job name, %j = job id
set -euo pipefail
# shellcheck source=jobscripts/common.sh
source "${SLURM_SUBMIT_DIR:-.}/jobscripts/common.sh"

samples="${1:-4000000}"
srun --kill-on-bad-exit=1 python -m mpi4py jobscripts/programs/pi.py "$samples"
