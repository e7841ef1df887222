#!/bin/bash
# Lesson 13, case 4: Dask workers that never reach the scheduler. dask-mpi on two nodes,
# the scheduler on one, a worker on the other, listening on the interface the site
# profile names ($HPCLAB_IFACE). Set it to one the other node cannot reach (lo) and the
# worker waits forever: the client gives up after BREAKFIX_TIMEOUT seconds and the job fails.
# The scheduler file goes to $BREAKFIX_SCHEDULER_DIR (default: results/, which every node
# sees); a node-local folder such as /tmp is the other way to keep the worker out.
# Submit from the course root:  sbatch jobscripts/breakfix-dask.sh
#SBATCH --job-name=breakfix-dask   # name shown by squeue and sacct; %x in --output
#SBATCH --nodes=2                  # two hosts: the worker must cross the network
#SBATCH --ntasks-per-node=1        # rank 0 = scheduler (node 1), rank 1 = worker (node 2)
#SBATCH --mem-per-cpu=500M         # memory per CPU (one CPU per rank)
#SBATCH --time=00:02:00            # wall-clock limit; the client gives up well before
#SBATCH --output=%x-%j.out         # %x = job name, %j = job id
set -euo pipefail
# shellcheck source=jobscripts/common.sh
source "${SLURM_SUBMIT_DIR:-.}/jobscripts/common.sh"

# The scheduler file must be an absolute path on a filesystem every node sees (the
# default); the TLS credentials always are (results/).
scheduler_file="${BREAKFIX_SCHEDULER_DIR:-$HPCLAB_ROOT/results}/breakfix-dask-$SLURM_JOB_ID.json"
tls="$HPCLAB_ROOT/results/breakfix-dask-$SLURM_JOB_ID.tls"
trap 'rm -rf "$scheduler_file" "$tls"' EXIT
dask_tls "$tls"
echo "interface: $HPCLAB_IFACE"
echo "scheduler file: $scheduler_file"

# --label: every line of the scheduler's and the worker's logs starts with its rank.
srun --label --kill-on-bad-exit=1 python -m mpi4py -m dask_mpi.cli \
     --scheduler-file "$scheduler_file" \
     --interface "$HPCLAB_IFACE" \
     --nthreads 1 \
     --local-directory "${TMPDIR:-/tmp}" \
     --scheduler-port 0 \
     --dashboard-address 127.0.0.1:0 &   # free ports, never fixed ones
cluster=$!

# The client waits for every worker; a job that cannot get them must fail, not hang.
status=0
timeout "${BREAKFIX_TIMEOUT:-30}" python jobscripts/programs/connect.py "$scheduler_file" "$((SLURM_NTASKS - 1))" ||
    status=$?
if ((status != 0)); then
    # Before failing: does every node see the scheduler file? (a step beside the cluster's,
    # --overlap: on the same CPUs; --mem=0: counted against no memory)
    # shellcheck disable=SC2016  # $1 is expanded by the step's bash, on each node
    timeout 20 srun --overlap --mem=0 --ntasks-per-node=1 \
        bash -c 'if [[ -e $1 ]]; then echo "$(hostname) sees $1"; else echo "$(hostname) has no $1"; fi' _ "$scheduler_file" ||
        true
    exit "$status"
fi
wait "$cluster"
