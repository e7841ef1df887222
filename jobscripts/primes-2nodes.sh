#!/bin/bash
# Prime counting across two nodes with dask-mpi (lessons 02, 10).
# Submit from the course root:  sbatch jobscripts/primes-2nodes.sh [LOW HIGH]
#SBATCH --job-name=primes-2nodes # name shown by squeue; %x in --output
#SBATCH --nodes=2              # two hosts
#SBATCH --ntasks=2             # one Dask worker per node ...
#SBATCH --cpus-per-task=2      # ... with this many threads each
#SBATCH --time=00:05:00        # wall-clock limit; short jobs start sooner
#SBATCH --output=%x-%j.out     # %x = job name, %j = job id
set -euo pipefail
# shellcheck source=jobscripts/common.sh
source "${SLURM_SUBMIT_DIR:-.}/jobscripts/common.sh"

# dask-mpi needs two extra processes: rank 0 (scheduler) and rank 1 (our
# program). They do little work, so --overcommit lets them share CPUs with the
# workers, and --distribution=cyclic spreads ranks 0, 1, 2, ... over the nodes.
srun --kill-on-bad-exit=1 --overcommit --distribution=cyclic \
     --ntasks=$((SLURM_NTASKS + 2)) \
     python -m mpi4py jobscripts/programs/primes.py "${1:-1000000}" "${2:-1002000}" --mpi
