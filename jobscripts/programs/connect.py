"""Connect to a running dask-mpi cluster by its scheduler file, use it, shut it down.

Usage: python connect.py SCHEDULER_FILE N_WORKERS
"""

import socket
import sys
import time
from pathlib import Path

from distributed import wait

from hpclab.binding import describe, workers
from hpclab.cluster import client


def main() -> None:
    scheduler_file, n_workers = Path(sys.argv[1]), int(sys.argv[2])
    deadline = time.monotonic() + 120
    while not scheduler_file.exists():  # the scheduler writes it once it listens
        if time.monotonic() > deadline:
            sys.exit(f"no scheduler file {scheduler_file} after 120 s: did dask-mpi start? (see the job's stderr)")
        time.sleep(0.5)

    with client(scheduler_file, quiet=True, timeout=60) as c:
        c.wait_for_workers(n_workers, timeout=120)
        futures = c.map(lambda x: x * x, range(100))
        wait(futures, timeout=120)
        squares = c.gather(futures)
        hosts = sorted(set(c.run(socket.gethostname).values()))
        print(f"sum of squares = {sum(squares)} from {n_workers} workers on {' '.join(hosts)}")
        print(f"scheduler: {c.scheduler.address}")  # tls://: the job's credentials, found beside the file
        for found in workers(c):
            print(describe(found))
        # Stop the scheduler and workers: the srun step, and so the job, ends.
        c.shutdown()


if __name__ == "__main__":
    main()
