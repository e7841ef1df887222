#!/bin/bash
# MPI hello and a ring exchange on two nodes (lessons 00, 08).
# Submit from the course root:  sbatch jobscripts/mpi-hello.sh
#SBATCH --job-name=mpi-hello   # name shown by squeue; %x in --output
#SBATCH --nodes=2              # two hosts: the ranks really talk over the network
#SBATCH --ntasks-per-node=2    # 2 ranks on each: srun starts nodes x this many
#SBATCH --mem-per-cpu=500M     # memory per CPU (one CPU per rank); more is killed
#SBATCH --time=00:05:00        # wall-clock limit; short jobs start sooner
#SBATCH --output=%x-%j.out     # %x = job name, %j = job id
set -euo pipefail
# shellcheck source=jobscripts/common.sh
source "${SLURM_SUBMIT_DIR:-.}/jobscripts/common.sh"

# srun knows the task count from the allocation: never repeat it here.
srun --kill-on-bad-exit=1 python -m mpi4py jobscripts/programs/mpi_hello.py
