"""Dask prepares an array, MPI works on it in place: run under dask-mpi (5+ ranks).

    mpiexec -n 5 python -m mpi4py dask_mpi_handoff.py
    srun --ntasks=$((SLURM_NTASKS + 2)) python -m mpi4py dask_mpi_handoff.py   # in a job

Rank 0 runs the scheduler, rank 1 this client code, ranks 2.. are the workers
(and MPI ranks: hpclab.handoff.run_on_workers gives them a communicator).
Prints one line per scenario for tests/test_handoff.py to check.
"""

import os
import sys
import tempfile

from dask_mpi import initialize

# Every rank (workers too: they unpickle its functions by name) imports handoff_scenarios from beside this file.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

initialize(
    interface=os.environ.get("HPCLAB_IFACE", "lo"),
    nthreads=1,
    dashboard=False,
    dashboard_address="127.0.0.1:0",
    local_directory=os.environ.get("TMPDIR", tempfile.gettempdir()),
)

import distributed  # noqa: E402  (only rank 1 gets here)
import handoff_scenarios  # noqa: E402  (the functions every kind of cluster runs)
from mpi4py import MPI  # noqa: E402


def main():
    client = distributed.Client()
    n_workers = MPI.COMM_WORLD.Get_size() - 2
    client.wait_for_workers(n_workers, timeout=60)
    print(f"scheduler: {client.scheduler.address}")  # tls:// when Dask's config holds credentials
    for line in handoff_scenarios.scenarios(client, timeout=60):
        print(line)
    client.close()


main()
