#!/bin/bash
# Lesson 13, case 6: a Dask computation whose worker is killed for memory, again and again,
# until the client gets KilledWorker. dask-mpi starts a scheduler and one worker under its
# nanny, with a memory limit of its own (--memory-limit, below the job's memory so that
# Dask's nanny, which says why in the worker's log, acts before Slurm does); the program
# (breakfix_killed.py) goes through its data in blocks of --chunk-mb MB: too big for it.
# Submit from the course root:  sbatch jobscripts/breakfix-killed.sh
#SBATCH --job-name=breakfix-killed   # name shown by squeue and sacct; %x in --output
#SBATCH --ntasks=2                   # rank 0 = scheduler, rank 1 = the worker (and its nanny)
#SBATCH --cpus-per-task=1            # threads of the worker: it runs this many tasks at once
#SBATCH --mem-per-cpu=600M           # memory per CPU: each rank's share of the job's memory
#SBATCH --time=00:02:00              # wall-clock limit; the job fails or ends well before
#SBATCH --output=%x-%j.out           # %x = job name, %j = job id
set -euo pipefail
# shellcheck source=jobscripts/common.sh
source "${SLURM_SUBMIT_DIR:-.}/jobscripts/common.sh"

# An absolute path on a filesystem every node sees, and TLS credentials beside it.
scheduler_file="$HPCLAB_ROOT/results/breakfix-killed-$SLURM_JOB_ID.json"
tls="$HPCLAB_ROOT/results/breakfix-killed-$SLURM_JOB_ID.tls"
trap 'rm -rf "$scheduler_file" "$tls"' EXIT
dask_tls "$tls"

# --label: every line of the scheduler's (0:) and the worker's (1:) logs starts with its rank.
# --memory-limit: the worker's own limit; its nanny restarts it above 95% of it.
# --cpus-per-task: Slurm 22.05 to 23.02 do not pass the job's value on to a step.
srun --label --kill-on-bad-exit=1 --cpus-per-task="$SLURM_CPUS_PER_TASK" python -m mpi4py -m dask_mpi.cli \
     --scheduler-file "$scheduler_file" \
     --interface "$HPCLAB_IFACE" \
     --nthreads "$SLURM_CPUS_PER_TASK" \
     --memory-limit 300MiB \
     --local-directory "${TMPDIR:-/tmp}" \
     --scheduler-port 0 \
     --dashboard-address 127.0.0.1:0 &   # free ports, never fixed ones
cluster=$!

# The client fails with KilledWorker and shuts the cluster down, so the job fails at once;
# whatever happens, it gives up after BREAKFIX_TIMEOUT seconds (a job must fail, not hang).
timeout "${BREAKFIX_TIMEOUT:-60}" python jobscripts/programs/breakfix_killed.py \
     "$scheduler_file" "$((SLURM_NTASKS - 1))" --total-mb 800 --chunk-mb 400
wait "$cluster"
