"""A Dask cluster of a job that waits while a test tries to get in (tests/test_tls_jobs.py only).

Under dask-mpi's initialize() (srun ... python -m mpi4py tls_hold.py --mpi OUT RELEASE):
rank 1 writes the scheduler's address to OUT, then waits until RELEASE exists.

As the client of jobscripts/dask-mpi-cli.sh (sbatch jobscripts/dask-mpi-cli.sh tests/tls_hold.py):
called with SCHEDULER_FILE N_WORKERS, it connects the way a notebook does
(hpclab.cluster.client, credentials found beside the file), writes the address to
SCHEDULER_FILE.address, waits for SCHEDULER_FILE.release, and shuts the cluster down.
Each run prints ``owner in the job: <result>`` once the owner's own task ran.
"""

import os
import sys
import tempfile
import time
from pathlib import Path


def hold(client, out: Path, release: Path) -> None:
    print(f"owner in the job: {client.submit(sum, [1, 2, 3]).result()}", flush=True)
    (out.parent / (out.name + ".part")).write_text(client.scheduler.address)
    (out.parent / (out.name + ".part")).rename(out)  # appears whole
    deadline = time.monotonic() + 150
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.2)


def main() -> None:
    if sys.argv[1] == "--mpi":
        from dask_mpi import initialize

        initialize(
            interface=os.environ.get("HPCLAB_IFACE"),
            nthreads=1,
            dashboard=False,
            dashboard_address="127.0.0.1:0",
            local_directory=os.environ.get("TMPDIR", tempfile.gettempdir()),
        )
        from distributed import Client
        from mpi4py import MPI

        with Client() as client:
            client.wait_for_workers(MPI.COMM_WORLD.Get_size() - 2, timeout=120)
            hold(client, Path(sys.argv[2]), Path(sys.argv[3]))
        return
    from hpclab.cluster import client as connect

    scheduler_file, n_workers = Path(sys.argv[1]), int(sys.argv[2])
    deadline = time.monotonic() + 120
    while not scheduler_file.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    with connect(scheduler_file, quiet=True) as c:
        c.wait_for_workers(n_workers, timeout=120)
        hold(c, Path(f"{scheduler_file}.address"), Path(f"{scheduler_file}.release"))
        c.shutdown()


if __name__ == "__main__":
    main()
