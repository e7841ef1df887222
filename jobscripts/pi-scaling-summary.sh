#!/bin/bash
# Summary step of the pi scaling study: a table of speedup and efficiency.
# Submitted by jobscripts/pi-scaling.sh with --dependency=afterok on the array.
#SBATCH --time=00:05:00        # wall-clock limit
#SBATCH --mem=500M             # memory for the summary
set -euo pipefail
# shellcheck source=jobscripts/common.sh
source "${SLURM_SUBMIT_DIR:-.}/jobscripts/common.sh"

python jobscripts/programs/scaling_summary.py "$HPCLAB_RESULTS"
