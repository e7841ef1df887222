# Site profile: the virtual cluster from `hpclab vcluster up` (and a plain laptop).
# Every job script sources exactly one profile: jobscripts/site/${HPCLAB_SITE:-local}.sh.
# Source it on the login node too, before sbatch, so the SBATCH_* defaults apply.
# shellcheck shell=bash

# Where to charge the job and where to run it (sbatch reads these variables
# exactly like --account / --partition / --reservation). Empty = site default.
export SBATCH_PARTITION="${SBATCH_PARTITION:-debug}"
# export SBATCH_ACCOUNT=...
# export SBATCH_RESERVATION=...

# Software: the course's virtual environment, with mpi4py and the MPICH wheel.
HPCLAB_ROOT="${HPCLAB_ROOT:-${SLURM_SUBMIT_DIR:-$PWD}}"
export HPCLAB_ROOT
HPCLAB_VENV="${HPCLAB_VENV:-$HPCLAB_ROOT/.venv}"
if [[ -f "$HPCLAB_VENV/bin/activate" ]]; then
    # shellcheck disable=SC1091
    source "$HPCLAB_VENV/bin/activate"
fi

# How srun starts MPI ranks (srun reads this as --mpi): PMI2 is what the
# MPICH wheel understands. Without it every rank thinks it is "rank 0 of 1".
export SLURM_MPI_TYPE="${SLURM_MPI_TYPE:-pmi2}"
# The network Dask and MPI should use between nodes (virtual nodes: eth0).
export HPCLAB_IFACE="${HPCLAB_IFACE:-eth0}"
# MPICH's network layer between virtual nodes: libfabric over TCP. (Its UCX
# layer's long addresses sometimes overflow Slurm 22.05's PMI2 messages.)
export MPIR_CVAR_CH4_NETMOD="${MPIR_CVAR_CH4_NETMOD:-ofi}"
export FI_PROVIDER="${FI_PROVIDER:-tcp}"
