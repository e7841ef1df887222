#!/bin/bash
# Lesson 13, case 5: a job out of wall time. Its program saves a checkpoint after every
# step, so the work done is not lost: resubmit with a --time that covers what is left.
# Submit from the course root:  sbatch jobscripts/breakfix-timeout.sh CHECKPOINT.json
#SBATCH --job-name=breakfix-timeout   # name shown by squeue and sacct; %x in --output
#SBATCH --ntasks=1                    # one process
#SBATCH --mem=200M                    # memory for the whole job
#SBATCH --time=00:01:00               # wall-clock limit: Slurm ends the job after this
#SBATCH --output=%x-%j.out            # %x = job name, %j = job id
set -euo pipefail
# shellcheck source=jobscripts/common.sh
source "${SLURM_SUBMIT_DIR:-.}/jobscripts/common.sh"

checkpoint="${1:?usage: sbatch jobscripts/breakfix-timeout.sh CHECKPOINT.json}"
srun python jobscripts/programs/breakfix_steps.py --steps 240 --seconds 0.5 --checkpoint "$checkpoint"
