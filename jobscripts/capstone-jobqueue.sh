#!/bin/bash
# The capstone pipeline (lesson 12) on dask-jobqueue workers instead of dask-mpi:
# this driver job submits worker jobs, each one MPI-capable Dask worker, and
# MPI smooths the map in their memory. Compare jobscripts/capstone.sh.
# Submit from the course root:  sbatch jobscripts/capstone-jobqueue.sh [SWEEPS]
# Prepare the data first on the login node: hpclab data prepare (see docs/setup.md, The data).
#SBATCH --job-name=capstone-jq # name shown by squeue; %x in --output
#SBATCH --ntasks=1             # the driver: scheduler and client; the workers are jobs of their own
#SBATCH --cpus-per-task=1      # the scheduler needs little
#SBATCH --mem=2G               # the driver's memory (it assembles the map); worker jobs ask for their own
#SBATCH --time=00:10:00        # wall-clock limit; the worker jobs get their own
#SBATCH --output=%x-%j.out     # %x = job name, %j = job id
set -euo pipefail
# shellcheck source=jobscripts/common.sh
source "${SLURM_SUBMIT_DIR:-.}/jobscripts/common.sh"

srun --kill-on-bad-exit=1 --cpus-per-task="$SLURM_CPUS_PER_TASK" \
     python jobscripts/programs/capstone_jobqueue.py --sweeps "${1:-20}"
