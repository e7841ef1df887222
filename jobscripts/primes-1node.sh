#!/bin/bash
# Prime counting on one node with many Dask worker processes (lesson 02).
# Submit from the course root:  sbatch jobscripts/primes-1node.sh [LOW HIGH]
#SBATCH --job-name=primes-1node # name shown by squeue; %x in --output
#SBATCH --nodes=1              # everything on one host
#SBATCH --ntasks=1             # one Python process starts the local cluster ...
#SBATCH --cpus-per-task=2      # ... with one worker per CPU it is given (a real node: its core count)
#SBATCH --mem-per-cpu=1G       # memory per CPU, shared out among the workers
#SBATCH --time=00:05:00        # wall-clock limit; short jobs start sooner
#SBATCH --output=%x-%j.out     # %x = job name, %j = job id
set -euo pipefail
# shellcheck source=jobscripts/common.sh
source "${SLURM_SUBMIT_DIR:-.}/jobscripts/common.sh"

# Slurm 22.05 to 23.02 do not pass the job's --cpus-per-task on to a step (23.11
# does again): say it from the allocation, or there the task is bound to a single CPU.
srun --kill-on-bad-exit=1 --cpus-per-task="$SLURM_CPUS_PER_TASK" python jobscripts/programs/primes.py "${1:-1000000}" "${2:-1002000}"
