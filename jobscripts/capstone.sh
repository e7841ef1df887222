#!/bin/bash
# The capstone pipeline (lesson 12): Dask cleans and averages the air
# temperatures, then MPI smooths the map in the workers' memory.
# Submit from the course root:  sbatch jobscripts/capstone.sh [SWEEPS]
# Prepare the data first on the login node: hpclab data prepare (see docs/setup.md, The data).
#SBATCH --job-name=capstone    # name shown by squeue; %x in --output
#SBATCH --nodes=2              # two hosts
#SBATCH --ntasks-per-node=1    # one Dask worker (= one MPI rank of the stencil) on each node ...
#SBATCH --cpus-per-task=2      # ... with 2 threads for Dask (the MPI phase runs 1 rank per worker)
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

# Two more ranks than workers: the scheduler (rank 0) and the program (rank 1).
# They do little work, so --overcommit lets them share CPUs with the workers;
# --distribution=cyclic spreads ranks 0, 1, 2, ... over the nodes.
# --cpus-per-task: Slurm 22.05 to 23.02 do not pass the job's value on to a
# step (23.11 does again); without it there every worker is bound to one CPU,
# whatever its thread count. Saying it is right on every release.
srun --kill-on-bad-exit=1 --overcommit --distribution=cyclic --cpus-per-task="$SLURM_CPUS_PER_TASK" \
     --ntasks=$((SLURM_NTASKS + 2)) \
     python -m mpi4py jobscripts/programs/capstone.py --sweeps "${1:-20}"
