#!/bin/bash
# dask-jobqueue: a small driver job whose SLURMCluster submits Dask workers as
# Slurm jobs of their own (lesson 10). Compare dask-mpi, where one job holds all.
# Submit from the course root:  sbatch jobscripts/jobqueue.sh
#SBATCH --job-name=jobqueue    # name shown by squeue; %x in --output
#SBATCH --ntasks=1             # the driver: scheduler and client, no workers
#SBATCH --mem=1G               # the driver's memory; the worker jobs ask for their own
#SBATCH --time=00:10:00        # wall-clock limit; the worker jobs get their own
#SBATCH --output=%x-%j.out     # %x = job name, %j = job id
set -euo pipefail
# shellcheck source=jobscripts/common.sh
source "${SLURM_SUBMIT_DIR:-.}/jobscripts/common.sh"

srun --kill-on-bad-exit=1 python jobscripts/programs/jobqueue_demo.py
