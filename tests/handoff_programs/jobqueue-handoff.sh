#!/bin/bash
# Test job (tests/test_mpi_cluster.py): the Dask -> MPI handoff on dask-jobqueue workers.
# Submit from the course root:  sbatch tests/handoff_programs/jobqueue-handoff.sh
#SBATCH --job-name=jq-handoff  # name shown by squeue; %x in --output
#SBATCH --ntasks=1             # the driver: scheduler and client; the workers are jobs of their own
#SBATCH --cpus-per-task=1      # one CPU is enough for the scheduler
#SBATCH --mem=1G               # the driver's memory; each worker job asks for its own
#SBATCH --time=00:08:00        # wall-clock limit; the worker jobs get their own
#SBATCH --output=%x-%j.out     # %x = job name, %j = job id
set -euo pipefail
# shellcheck source=jobscripts/common.sh
source "${SLURM_SUBMIT_DIR:-.}/jobscripts/common.sh"

srun --kill-on-bad-exit=1 --cpus-per-task="$SLURM_CPUS_PER_TASK" python tests/handoff_programs/jobqueue_handoff.py
