#!/bin/bash
# Strong scaling of the Monte Carlo pi program as a job array (lesson 09).
# Run it ON THE LOGIN NODE (it submits the jobs):  bash jobscripts/pi-scaling.sh [SAMPLES]
# It submits one array task per rank count, then a summary job that waits for
# all of them (--dependency=afterok) and prints speedup and efficiency.
set -euo pipefail
# shellcheck source=jobscripts/common.sh
source "${SLURM_SUBMIT_DIR:-.}/jobscripts/common.sh"

counts=(1 2 4)                       # the only place the rank counts are written
samples="${1:-4000000}"
results="$HPCLAB_ROOT/results/pi-scaling-$(date +%Y%m%d-%H%M%S)-$$"
mkdir -p "$results"
largest="${counts[${#counts[@]}-1]}"

array_id=$(sbatch --parsable \
    --job-name=pi-scaling \
    --array="0-$((${#counts[@]} - 1))" \
    --ntasks="$largest" \
    --output="$results/task-%a.out" \
    --export="ALL,HPCLAB_COUNTS=${counts[*]},HPCLAB_SAMPLES=$samples,HPCLAB_RESULTS=$results" \
    jobscripts/pi-scaling-task.sh)
summary_id=$(sbatch --parsable \
    --job-name=pi-scaling-summary \
    --dependency="afterok:$array_id" \
    --ntasks=1 \
    --output="$results/summary.out" \
    --export="ALL,HPCLAB_RESULTS=$results" \
    jobscripts/pi-scaling-summary.sh)
echo "array job $array_id (${#counts[@]} tasks: ${counts[*]} ranks), summary job $summary_id"
echo "results: $results/summary.out"
