#!/bin/bash
# Prime counting across two nodes with dask-mpi (lessons 02, 10).
# Submit from the course root:  sbatch jobscripts/primes-2nodes.sh [LOW HIGH]
#SBATCH --job-name=primes-2nodes # name shown by squeue; %x in --output
#SBATCH --nodes=2              # two hosts
#SBATCH --ntasks-per-node=2    # Dask workers per node: one per CPU (a real node: its core count) ...
#SBATCH --cpus-per-task=1      # ... of one thread each: prime testing is pure Python (the GIL)
#SBATCH --mem-per-cpu=1G       # memory per CPU; each worker's Dask memory_limit is derived from it
#SBATCH --time=00:05:00        # wall-clock limit; short jobs start sooner
#SBATCH --output=%x-%j.out     # %x = job name, %j = job id
set -euo pipefail
# shellcheck source=jobscripts/common.sh
source "${SLURM_SUBMIT_DIR:-.}/jobscripts/common.sh"

# TLS: credentials for this job's Dask cluster only, on the shared filesystem
# (every node reads them), removed when the job ends (see dask_tls in common.sh).
tls="$HPCLAB_ROOT/results/dask-$SLURM_JOB_ID.tls"
trap 'rm -rf "$tls"' EXIT
dask_tls "$tls"

# dask-mpi needs two extra processes: rank 0 (scheduler) and rank 1 (our
# program). They do little work, so --overcommit lets them share CPUs with the
# workers, and --distribution=cyclic spreads ranks 0, 1, 2, ... over the nodes.
# --cpus-per-task: Slurm 22.05 to 23.02 do not pass the job's value on to a
# step (23.11 does again); saying it is right on every release.
srun --kill-on-bad-exit=1 --overcommit --distribution=cyclic --cpus-per-task="$SLURM_CPUS_PER_TASK" \
     --ntasks=$((SLURM_NTASKS + 2)) \
     python -m mpi4py jobscripts/programs/primes.py "${1:-1000000}" "${2:-1002000}" --mpi
