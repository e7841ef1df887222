#!/bin/bash
# Lesson 13, case 2: an MPI job that hangs. Every rank prints its stack on SIGUSR1
# (scancel --signal=USR1 JOBID) and by itself after BREAKFIX_TIMEOUT seconds, then fails.
# Submit from the course root:  sbatch jobscripts/breakfix-hang.sh [PROGRAM.py]
#SBATCH --job-name=breakfix-hang   # name shown by squeue and sacct; %x in --output
#SBATCH --nodes=2                  # two hosts: the ranks talk over the network
#SBATCH --ntasks-per-node=1        # one rank on each: srun starts nodes x this many
#SBATCH --mem-per-cpu=300M         # memory per CPU (one CPU per rank)
#SBATCH --time=00:02:00            # wall-clock limit: a hang ends here at the latest
#SBATCH --output=%x-%j.out         # %x = job name, %j = job id
set -euo pipefail
# shellcheck source=jobscripts/common.sh
source "${SLURM_SUBMIT_DIR:-.}/jobscripts/common.sh"

# A hung rank dumps its stack and exits 1 after this many seconds (faulthandler).
export BREAKFIX_TIMEOUT="${BREAKFIX_TIMEOUT:-20}"
# --label: every output line starts with the rank that printed it.
# --kill-on-bad-exit: when one rank fails, srun ends the others.
srun --label --kill-on-bad-exit=1 python -m mpi4py "${1:-jobscripts/programs/breakfix_ring.py}"
