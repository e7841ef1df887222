#!/bin/bash
# Strong scaling of the Monte Carlo pi program: one job per rank count (lesson 09).
# Run it ON THE LOGIN NODE (it submits the jobs):  bash jobscripts/pi-scaling.sh [SAMPLES]
# Each count is a job of its own that asks for exactly the CPUs it uses: a job
# array cannot do that (all its tasks share one request, so the 1-rank task would
# hold the 4 CPUs of the largest count and leave 3 idle), and Slurm has no arrays
# of heterogeneous jobs. A summary job waits for all of them, however they end
# (--dependency=afterany), prints speedup and efficiency, and names the counts
# that failed.
set -euo pipefail
# shellcheck source=jobscripts/common.sh
source "${SLURM_SUBMIT_DIR:-.}/jobscripts/common.sh"

counts=(1 2 4)                       # the only place the rank counts are written
# 400 million samples: ~10 s on one rank, long enough that start-up is a small
# share of the time. A quick try (or a test) passes fewer: SAMPLES or HPCLAB_SAMPLES.
samples="${1:-${HPCLAB_SAMPLES:-400000000}}"
results="$HPCLAB_ROOT/results/pi-scaling-$(date +%Y%m%d-%H%M%S)-$$"
mkdir -p "$results"

ids=()
for ranks in "${counts[@]}"; do
    ids+=("$(sbatch --parsable \
        --job-name="pi-scaling-$ranks" \
        --ntasks="$ranks" \
        --output="$results/ranks-$ranks.out" \
        --export="ALL,HPCLAB_SAMPLES=$samples,HPCLAB_RESULTS=$results" \
        jobscripts/pi-scaling-task.sh)")
done
summary_id=$(sbatch --parsable \
    --job-name=pi-scaling-summary \
    --dependency="afterany:$(IFS=:; echo "${ids[*]}")" \
    --ntasks=1 \
    --output="$results/summary.out" \
    --export="ALL,HPCLAB_COUNTS=${counts[*]},HPCLAB_RESULTS=$results" \
    jobscripts/pi-scaling-summary.sh)
echo "jobs ${ids[*]} (${#counts[@]} jobs: ${counts[*]} ranks, $samples samples each), summary job $summary_id"
echo "results: $results/summary.out"
