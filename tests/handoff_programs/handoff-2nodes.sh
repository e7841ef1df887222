#!/bin/bash
# Test job (tests/test_handoff.py): Dask -> MPI handoff in memory, across two nodes.
# Submit from the course root:  sbatch tests/handoff_programs/handoff-2nodes.sh
#SBATCH --job-name=handoff-2nodes # name shown by squeue; %x in --output
#SBATCH --nodes=2              # two hosts: the halo exchange crosses the network
#SBATCH --ntasks=3             # three Dask workers = three MPI ranks of the handoff
#SBATCH --time=00:05:00        # wall-clock limit
#SBATCH --output=%x-%j.out     # %x = job name, %j = job id
set -euo pipefail
# shellcheck source=jobscripts/common.sh
source "${SLURM_SUBMIT_DIR:-.}/jobscripts/common.sh"

# TLS: credentials for this job's Dask cluster only, on the shared filesystem
# (every node reads them), removed when the job ends (see dask_tls in common.sh).
tls="$HPCLAB_ROOT/results/dask-$SLURM_JOB_ID.tls"
trap 'rm -rf "$tls"' EXIT
dask_tls "$tls"

# dask-mpi: rank 0 scheduler, rank 1 the program, ranks 2.. workers, so two
# extra tasks share the CPUs (--overcommit); cyclic puts workers on both nodes.
srun --mpi=pmi2 --kill-on-bad-exit=1 --overcommit --distribution=cyclic \
     --ntasks=$((SLURM_NTASKS + 2)) \
     python -m mpi4py tests/handoff_programs/dask_mpi_handoff.py
