"""A worker rank SIGKILLed while its partners are inside Allreduce, under dask-mpi (5 ranks).

    mpiexec -n 5 python -m mpi4py dask_mpi_kill.py

What tests/test_mpi_cluster.py expects: the launcher ends the whole job (the
scheduler and this client rank too) with a non-zero exit, so nothing hangs and
nothing can be retried: the workers share one MPI_COMM_WORLD.
"""

import os
import signal
import tempfile
import time

import numpy as np
from dask_mpi import initialize

initialize(
    interface="lo",
    nthreads=1,
    dashboard=False,
    dashboard_address="127.0.0.1:0",
    local_directory=os.environ.get("TMPDIR", tempfile.gettempdir()),
)

import dask.array as da  # noqa: E402  (only rank 1 gets here)
import distributed  # noqa: E402
from mpi4py import MPI  # noqa: E402

from hpclab import handoff  # noqa: E402


def sum_with_a_victim(pieces, blocks, comm):
    if comm.Get_rank() == comm.Get_size() - 1:
        time.sleep(1.0)  # the others are inside Allreduce by now
        os.kill(os.getpid(), signal.SIGKILL)
    local = np.array([sum(float(b.sum()) for b in blocks)], dtype=float)
    total = np.zeros(1)
    comm.Allreduce(local, total, op=MPI.SUM)
    return float(total[0])


client = distributed.Client()
client.wait_for_workers(MPI.COMM_WORLD.Get_size() - 2, timeout=60)
x = client.persist(da.arange(60, chunks=7, dtype=float))
distributed.wait(x)
print("calling", flush=True)
try:
    handoff.run_on_workers(client, x, sum_with_a_victim, mpi=True, timeout=20, attempts=3)
    print("survived", flush=True)  # never reached: the job is gone
except Exception as exc:  # noqa: BLE001  (what the client rank sees, if it lives long enough)
    print(f"raised {type(exc).__name__}: {exc}", flush=True)
