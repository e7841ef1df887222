#!/bin/bash
# Lesson 13, case 1: a job killed for memory. Read sacct's MaxRSS against --mem, then fix.
# Submit from the course root:  sbatch jobscripts/breakfix-oom.sh
#SBATCH --job-name=breakfix-oom   # name shown by squeue and sacct; %x in --output
#SBATCH --ntasks=1                # one process
#SBATCH --mem=300M                # memory for the whole job: more than this is killed
#SBATCH --time=00:02:00           # wall-clock limit; the work takes seconds
#SBATCH --output=%x-%j.out        # %x = job name, %j = job id
set -euo pipefail
# shellcheck source=jobscripts/common.sh
source "${SLURM_SUBMIT_DIR:-.}/jobscripts/common.sh"

srun python jobscripts/programs/breakfix_memory.py --total-mb 600 --chunk-mb 50
