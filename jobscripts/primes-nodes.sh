#!/bin/bash
# One node against two: the same prime count in two steps of one job, with
# speedup and efficiency from the job's own timings (lessons 02, 10).
# Submit from the course root:  sbatch jobscripts/primes-nodes.sh [LOW HIGH]
#SBATCH --job-name=primes-nodes # name shown by squeue; %x in --output
#SBATCH --nodes=2              # two hosts (a job array could not vary --nodes)
#SBATCH --ntasks-per-node=1    # Dask workers per node: one per CPU (a real node: its core count)
#SBATCH --cpus-per-task=1      # one thread per worker: prime testing is pure Python (the GIL)
#SBATCH --mem-per-cpu=1G       # memory per CPU; each worker's Dask memory_limit is derived from it
#SBATCH --time=00:15:00        # wall-clock limit for both steps
#SBATCH --output=%x-%j.out     # %x = job name, %j = job id
set -euo pipefail
# shellcheck source=jobscripts/common.sh
source "${SLURM_SUBMIT_DIR:-.}/jobscripts/common.sh"

# TLS: credentials for this job's Dask cluster only, on the shared filesystem
# (every node reads them), removed when the job ends (see dask_tls in common.sh).
tls="$HPCLAB_ROOT/results/dask-$SLURM_JOB_ID.tls"
trap 'rm -rf "$tls"' EXIT
dask_tls "$tls"

low="${1:-2000000}"
high="${2:-2400000}"
results="$HPCLAB_ROOT/results/primes-nodes-$SLURM_JOB_ID"
mkdir -p "$results"

# As in primes-2nodes.sh: two extra ranks (scheduler, client) share CPUs with
# the workers (--overcommit), and srun is told each task's CPUs explicitly.
# Step 1 uses one node's workers only, step 2 every node's.
count() {  # count NODES TASKS NAME
    srun --kill-on-bad-exit=1 --overcommit --distribution=cyclic \
         --nodes="$1" --ntasks="$(($2 + 2))" --cpus-per-task="$SLURM_CPUS_PER_TASK" \
         python -m mpi4py jobscripts/programs/primes.py "$low" "$high" --mpi --json "$results/$3.json"
}
count 1 "$SLURM_NTASKS_PER_NODE" 1node
count "$SLURM_JOB_NUM_NODES" "$SLURM_NTASKS" "${SLURM_JOB_NUM_NODES}nodes"
python jobscripts/programs/nodes_summary.py "$results"
