#!/bin/bash
# Probes for `hpclab site-check`: what a task really gets on this site.
# The site check submits it with the options each probe needs, for example
#   sbatch --nodes=1 --ntasks=1 --cpus-per-task=2 jobscripts/site-probe.sh binding
#SBATCH --job-name=site-probe  # name shown by squeue; %x in --output
#SBATCH --time=00:05:00        # wall-clock limit; every probe takes seconds
#SBATCH --mem-per-cpu=500M     # memory per CPU (the memory probe asks for less on the command line)
#SBATCH --output=%x-%j.out     # %x = job name, %j = job id
set -euo pipefail
# shellcheck source=jobscripts/common.sh
source "${SLURM_SUBMIT_DIR:-.}/jobscripts/common.sh"

# Each task prints its host, how many CPUs it may run on, and on how many cores
# (hardware threads of one core share its thread_siblings_list).
probe='import os, socket
cpus = os.sched_getaffinity(0)
def core(cpu):
    try:
        return open(f"/sys/devices/system/cpu/cpu{cpu}/topology/thread_siblings_list").read().strip()
    except OSError:
        return str(cpu)
print("probe", socket.gethostname(), len(cpus), len({core(c) for c in cpus}))'
case "${1:-}" in
    binding)
        # Told its CPUs: each task should see --cpus-per-task of them.
        echo "== told"
        srun --cpus-per-task="$SLURM_CPUS_PER_TASK" python -c "$probe"
        # A one-CPU step must be bound to exactly one CPU.
        echo "== one"
        srun --ntasks=1 --cpus-per-task=1 python -c "$probe"
        # More tasks than the job has (as dask-mpi's two extra ranks), not told
        # --cpus-per-task: on Slurm 22.05 to 23.02 (Debian 12's 22.05.8) each task
        # is then bound to a single CPU; 23.11 passes the job's value on again.
        echo "== plain"
        srun --overcommit --ntasks=$((SLURM_NTASKS + 1)) python -c "$probe"
        ;;
    memory)
        # Hold four times the job's memory for a few seconds: a site that
        # enforces --mem kills the step before "survived" is printed.
        limit_mb=${SLURM_MEM_PER_NODE:-$((SLURM_MEM_PER_CPU * SLURM_CPUS_ON_NODE))}
        srun python -c "import time; print('holding $((4 * limit_mb)) MiB', flush=True); b = bytearray(4 * $limit_mb * 2**20); time.sleep(8); print('survived')"
        ;;
    doctor)
        # The course's doctor on every task: MPI library, launcher, network interface.
        # Each task writes its own report (srun would interleave long lines), then
        # the reports are printed one after the other; the doctor's verdict is the job's.
        reports="$HPCLAB_ROOT/results/site-probe-$SLURM_JOB_ID"
        mkdir -p "$reports"
        trap 'rm -rf "$reports"' EXIT   # also when no task wrote a report
        status=0
        srun --output="$reports/doctor-%t.json" python -m hpclab.cli doctor --json || status=$?
        cat "$reports"/doctor-*.json
        exit "$status"
        ;;
    *)
        echo "usage: sbatch jobscripts/site-probe.sh binding|memory|doctor" >&2
        exit 2
        ;;
esac
