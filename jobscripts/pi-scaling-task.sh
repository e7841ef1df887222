#!/bin/bash
# One run of the pi scaling study: pi.py on every task of this job.
# Submitted by jobscripts/pi-scaling.sh, which sets the task count (--ntasks) and output.
#SBATCH --time=00:10:00        # wall-clock limit per run
#SBATCH --mem-per-cpu=500M     # memory per CPU (one CPU per rank); pi.py draws 16 MB at a time
set -euo pipefail
# shellcheck source=jobscripts/common.sh
source "${SLURM_SUBMIT_DIR:-.}/jobscripts/common.sh"

# What this job holds: as many CPUs as ranks, none idle.
echo "pi-scaling: $SLURM_NTASKS ranks, CPUs per node $SLURM_JOB_CPUS_PER_NODE on $SLURM_JOB_NODELIST"
result="$HPCLAB_RESULTS/ranks-$SLURM_NTASKS.txt"
# The result file appears only when the run succeeded: the summary counts the missing ones.
srun --kill-on-bad-exit=1 python -m mpi4py jobscripts/programs/pi.py "$HPCLAB_SAMPLES" > "$result.part"
mv "$result.part" "$result"
cat "$result"
