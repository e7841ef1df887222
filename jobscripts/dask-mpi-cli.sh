#!/bin/bash
# dask-mpi as a command: the job starts a scheduler and workers and writes a
# scheduler file; any script (or a notebook) then connects by that file (lesson 10).
# Submit from the course root:  sbatch jobscripts/dask-mpi-cli.sh [CLIENT.py]
# (CLIENT.py: the program that connects, run as CLIENT.py SCHEDULER_FILE N_WORKERS;
# default jobscripts/programs/connect.py)
#SBATCH --job-name=dask-mpi-cli # name shown by squeue; %x in --output
#SBATCH --nodes=2              # two hosts
#SBATCH --ntasks=3             # rank 0 = scheduler, ranks 1..2 = workers (Slurm spreads them 2 + 1)
#SBATCH --cpus-per-task=1      # threads per worker (the scheduler gets as many CPUs)
#SBATCH --mem-per-cpu=1G       # memory per CPU; each worker's --memory-limit is derived from it
#SBATCH --time=00:10:00        # wall-clock limit; the job ends early when the client shuts it down
#SBATCH --output=%x-%j.out     # %x = job name, %j = job id
set -euo pipefail
# shellcheck source=jobscripts/common.sh
source "${SLURM_SUBMIT_DIR:-.}/jobscripts/common.sh"

# An absolute path on a filesystem every node sees: clients find the scheduler here.
scheduler_file="$HPCLAB_ROOT/scheduler-$SLURM_JOB_ID.json"
# TLS credentials beside it (mode 0700, only you can read them): the scheduler and
# workers read them through Dask's configuration (dask_tls in common.sh), and a
# client of yours, here or in a notebook on the login node, finds them there.
tls="$HPCLAB_ROOT/scheduler-$SLURM_JOB_ID.tls"
rm -f "$scheduler_file"
trap 'rm -rf "$scheduler_file" "$tls"' EXIT   # also when something below fails
dask_tls "$tls"

# Each worker's Dask memory limit: its task's share of the job's memory, less a
# margin for the scheduler (the same rule as the dask-mpi programs use).
memory_limit=$(python -c 'import hpclab.cluster as c; print(c.slurm_task_memory() or "auto")')

# Workers spill to node-local disk, not to the shared filesystem.
# --cpus-per-task: Slurm 22.05 to 23.02 do not pass the job's value on to a
# step (23.11 does again); saying it is right on every release.
srun --kill-on-bad-exit=1 --cpus-per-task="$SLURM_CPUS_PER_TASK" python -m mpi4py -m dask_mpi.cli \
     --scheduler-file "$scheduler_file" \
     --interface "$HPCLAB_IFACE" \
     --nthreads "$SLURM_CPUS_PER_TASK" \
     --memory-limit "$memory_limit" \
     --local-directory "${TMPDIR:-/tmp}" \
     --scheduler-port 0 \
     --dashboard-address 127.0.0.1:0 &   # free ports, never fixed ones: nodes are shared
cluster=$!

# Here the client is a script in the same job. From a notebook on the login
# node: hpclab.cluster.client(scheduler_file=...) with the path printed below
# (it finds the credentials in the .tls folder beside it; other users cannot).
echo "scheduler file: $scheduler_file"
python "${1:-jobscripts/programs/connect.py}" "$scheduler_file" "$((SLURM_NTASKS - 1))"
wait "$cluster"
