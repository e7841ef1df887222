"""A Dask phase, then an MPI phase, in one MPI job (lesson 10).

Usage: python -m mpi4py dask_then_mpi.py [--execute]     (at least 3 ranks)

initialize(exit=False): ranks 0 and 2.. come back from initialize() once the
client (rank 1) calls send_close_signal(), so every rank can go on into MPI
code. --execute does only the Dask phase, with dask_mpi.execute(): it runs one
function on rank 1 (in a thread, while rank 1's call returns at once) and
stops the cluster when the function returns; then every rank ends.
"""

import os
import sys

from dask_mpi import execute, initialize, send_close_signal
from mpi4py import MPI

OPTIONS = dict(
    interface=os.environ.get("HPCLAB_IFACE"),
    nthreads=1,
    dashboard=False,
    local_directory=os.environ.get("TMPDIR", "/tmp"),
)


def dask_phase() -> int:
    """Runs on the client rank only: a sum of squares on the Dask workers."""
    from distributed import Client, wait

    with Client(timeout=60) as client:
        client.wait_for_workers(MPI.COMM_WORLD.Get_size() - 2, timeout=60)
        futures = client.map(lambda x: x * x, range(100))
        wait(futures, timeout=120)
        total = sum(client.gather(futures))
    print(
        f"rank {MPI.COMM_WORLD.Get_rank()}: Dask phase on {MPI.COMM_WORLD.Get_size() - 2} workers: "
        f"sum of squares = {total}",
        flush=True,
    )
    return total


def main() -> None:
    comm = MPI.COMM_WORLD
    if "--execute" in sys.argv:
        execute(dask_phase, **OPTIONS)  # rank 1 runs dask_phase; the others serve until it returns
        return
    if initialize(exit=False, **OPTIONS):  # True on the client rank only
        dask_phase()
        send_close_signal()  # lets the scheduler and workers leave initialize()
    # Every rank is here now: plain MPI, no Dask.
    ranks = comm.allreduce(comm.Get_rank(), op=MPI.SUM)
    if comm.Get_rank() == 0:
        print(f"rank 0: MPI phase on all {comm.Get_size()} ranks: sum of ranks = {ranks}", flush=True)


if __name__ == "__main__":
    main()
