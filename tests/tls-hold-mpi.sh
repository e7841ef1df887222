#!/bin/bash
# Test job (tests/test_tls_jobs.py): a dask-mpi cluster with TLS, set up exactly as
# the course's dask-mpi job scripts do, that waits while the test tries to get in.
# Submit from the course root:  sbatch tests/tls-hold-mpi.sh ADDRESS_FILE RELEASE_FILE
#SBATCH --job-name=tls-hold-mpi # name shown by squeue; %x in --output
#SBATCH --nodes=2              # two hosts: the workers listen on the cluster network
#SBATCH --ntasks=2             # two Dask workers
#SBATCH --cpus-per-task=1      # one thread each
#SBATCH --mem-per-cpu=500M     # memory per CPU
#SBATCH --time=00:05:00        # wall-clock limit
#SBATCH --output=%x-%j.out     # %x = job name, %j = job id
set -euo pipefail
# shellcheck source=jobscripts/common.sh
source "${SLURM_SUBMIT_DIR:-.}/jobscripts/common.sh"

# TLS: credentials for this job's Dask cluster only, on the shared filesystem
# (every node reads them), removed when the job ends (see dask_tls in common.sh).
tls="$HPCLAB_ROOT/results/dask-$SLURM_JOB_ID.tls"
trap 'rm -rf "$tls"' EXIT
# TLS_HOLD_PLAIN=1 (the test's control run only): no TLS, to show that a stranger then gets in.
if [[ "${TLS_HOLD_PLAIN:-0}" != 1 ]]; then
    dask_tls "$tls"
fi

srun --kill-on-bad-exit=1 --overcommit --distribution=cyclic --cpus-per-task="$SLURM_CPUS_PER_TASK" \
     --ntasks=$((SLURM_NTASKS + 2)) \
     python -m mpi4py tests/tls_hold.py --mpi "$1" "$2"
