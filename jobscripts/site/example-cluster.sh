# Site profile: an EXAMPLE for a real cluster. Copy it to jobscripts/site/<yoursite>.sh,
# edit the values, and use it with `export HPCLAB_SITE=<yoursite>` on the login node.
# shellcheck shell=bash

# Accounting and placement (sbatch reads these as --account/--partition/--reservation).
export SBATCH_ACCOUNT="${SBATCH_ACCOUNT:-scw0000}"          # your project code
export SBATCH_PARTITION="${SBATCH_PARTITION:-compute}"
# export SBATCH_RESERVATION=workshop_day1                   # only during the workshop

# Software from the module system, then the course environment built against it
# (docs/on-a-cluster.md, "Installing on a cluster").
if command -v module >/dev/null 2>&1; then
    module load python/3.11 mpi/openmpi/4.1
fi
HPCLAB_ROOT="${HPCLAB_ROOT:-${SLURM_SUBMIT_DIR:-$PWD}}"
export HPCLAB_ROOT
# shellcheck disable=SC1091
[[ -f "$HPCLAB_ROOT/.venv/bin/activate" ]] && source "$HPCLAB_ROOT/.venv/bin/activate"

# How srun starts MPI ranks (read as --mpi). Open MPI built with Slurm support
# usually wants PMIx; `srun --mpi=list` shows what your site offers.
export SLURM_MPI_TYPE="${SLURM_MPI_TYPE:-pmix}"
# Where jobs write their output: a scratch file system, not the (often NFS) home.
export HPCLAB_SCRATCH="${HPCLAB_SCRATCH:-/scratch/$USER}"
# The fast interconnect's interface (InfiniBand is often ib0; check `ip -br addr`).
export HPCLAB_IFACE="${HPCLAB_IFACE:-ib0}"
