#!/bin/bash
# Lesson 13, case 7: a node made slow by too many threads. The job gets 2 CPUs; the counts
# below were copied from a script for a 32-core node: 4 Dask workers of 8 threads, and
# every BLAS call on 8 threads. Read sacct's AllocCPUS and TotalCPU and the threads the
# program started, then set every count from the allocation ($SLURM_CPUS_PER_TASK).
# Submit from the course root:  sbatch jobscripts/breakfix-threads.sh
#SBATCH --job-name=breakfix-threads   # name shown by squeue and sacct; %x in --output
#SBATCH --ntasks=1                    # one process: it starts the Dask workers itself
#SBATCH --cpus-per-task=2             # the CPUs of the job: its task is bound to them
#SBATCH --mem=2G                      # memory for the whole job (every worker in it)
#SBATCH --time=00:02:00               # wall-clock limit; the work takes seconds
#SBATCH --output=%x-%j.out            # %x = job name, %j = job id
set -euo pipefail
# shellcheck source=jobscripts/common.sh
source "${SLURM_SUBMIT_DIR:-.}/jobscripts/common.sh"

# BLAS threads of every worker: OpenBLAS reads OPENBLAS_NUM_THREADS (then OMP_NUM_THREADS),
# MKL and OpenMP code read OMP_NUM_THREADS. A Dask Nanny sets both to 1 unless they are set.
export OMP_NUM_THREADS=8
export OPENBLAS_NUM_THREADS=8
# --cpus-per-task: Slurm 22.05 to 23.02 do not pass the job's value on to a step.
srun --cpus-per-task="$SLURM_CPUS_PER_TASK" python jobscripts/programs/breakfix_threads.py \
     --workers 4 --threads-per-worker 8
