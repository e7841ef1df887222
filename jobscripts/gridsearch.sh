#!/bin/bash
# Hyper-parameter search on the digits data with dask-ml and dask-mpi (lessons 07, 10).
# Submit from the course root:  sbatch jobscripts/gridsearch.sh
#SBATCH --job-name=gridsearch  # name shown by squeue; %x in --output
#SBATCH --nodes=2              # two hosts
#SBATCH --ntasks-per-node=1    # one Dask worker on each node (--ntasks alone may stack them) ...
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
# --cpus-per-task: Slurm 22.05 to 23.02 do not pass the job's value on to a
# step (23.11 does again); without it there every worker is bound to one CPU,
# whatever its thread count. Saying it is right on every release.
srun --kill-on-bad-exit=1 --overcommit --distribution=cyclic --cpus-per-task="$SLURM_CPUS_PER_TASK" \
     --ntasks=$((SLURM_NTASKS + 2)) \
     python -m mpi4py jobscripts/programs/gridsearch.py
