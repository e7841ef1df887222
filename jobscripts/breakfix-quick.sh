#!/bin/bash
# Lesson 13, case 3: a small job to queue with options that keep it pending.
# Submit from the course root:  sbatch [OPTIONS] jobscripts/breakfix-quick.sh
#SBATCH --job-name=breakfix-quick   # name shown by squeue and sacct; %x in --output
#SBATCH --ntasks=1                  # one process
#SBATCH --mem=100M                  # memory for the whole job
#SBATCH --time=00:02:00             # wall-clock limit
#SBATCH --output=%x-%j.out          # %x = job name, %j = job id
set -euo pipefail
# shellcheck source=jobscripts/common.sh
source "${SLURM_SUBMIT_DIR:-.}/jobscripts/common.sh"

srun hostname
