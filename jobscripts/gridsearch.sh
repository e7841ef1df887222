#!/bin/bash
# Hyper-parameter search on the digits data with dask-ml and dask-mpi (lessons 07, 10).
# Submit from the course root:  sbatch jobscripts/gridsearch.sh
#SBATCH --job-name=gridsearch  # name shown by squeue; %x in --output
#SBATCH --nodes=2              # two hosts
#SBATCH --ntasks=2             # one Dask worker per node ...
#SBATCH --cpus-per-task=2      # ... with this many threads each
#SBATCH --mem-per-cpu=1G       # memory per CPU; each worker's Dask memory_limit is derived from it
#SBATCH --time=00:10:00        # wall-clock limit; short jobs start sooner
#SBATCH --output=%x-%j.out     # %x = job name, %j = job id
set -euo pipefail
# shellcheck source=jobscripts/common.sh
source "${SLURM_SUBMIT_DIR:-.}/jobscripts/common.sh"

# TLS: credentials for this job's Dask cluster only, on the shared filesystem
# (every node reads them), removed when the job ends (see dask_tls in common.sh).
tls="$HPCLAB_ROOT/results/dask-$SLURM_JOB_ID.tls"
trap 'rm -rf "$tls"' EXIT
dask_tls "$tls"

# Two more ranks than workers: the scheduler (rank 0) and this program (rank 1).
# --cpus-per-task: a step does not inherit it from the job (Slurm 22.05+);
# without it every worker is bound to one CPU, whatever its thread count.
srun --kill-on-bad-exit=1 --overcommit --distribution=cyclic --cpus-per-task="$SLURM_CPUS_PER_TASK" \
     --ntasks=$((SLURM_NTASKS + 2)) \
     python -m mpi4py jobscripts/programs/gridsearch.py
