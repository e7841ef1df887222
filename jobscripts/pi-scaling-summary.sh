#!/bin/bash
# Summary step of the pi scaling study: a table of speedup and efficiency.
# Submitted by jobscripts/pi-scaling.sh with --dependency=afterany on the runs:
# it starts however they ended, tables the ones that finished, and names the rest.
#SBATCH --time=00:05:00        # wall-clock limit
#SBATCH --mem=500M             # memory for the summary
set -euo pipefail
# shellcheck source=jobscripts/common.sh
source "${SLURM_SUBMIT_DIR:-.}/jobscripts/common.sh"

read -r -a counts <<< "$HPCLAB_COUNTS"
failed=()
for ranks in "${counts[@]}"; do
    [[ -f "$HPCLAB_RESULTS/ranks-$ranks.txt" ]] || failed+=("$ranks")
done
if ((${#failed[@]} < ${#counts[@]})); then
    python jobscripts/programs/scaling_summary.py "$HPCLAB_RESULTS"
fi
if ((${#failed[@]} > 0)); then
    echo "failed: ${#failed[@]} of ${#counts[@]} runs (ranks: ${failed[*]}); see $HPCLAB_RESULTS/ranks-N.out" >&2
    exit 1
fi
echo "all ${#counts[@]} runs finished"
