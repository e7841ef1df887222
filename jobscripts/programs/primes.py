"""Count primes with Dask futures: one node (local workers) or many (dask-mpi).

Usage: python primes.py LOW HIGH                  # LocalCluster sized from Slurm
       python -m mpi4py primes.py LOW HIGH --mpi  # under srun: rank 0 scheduler,
                                                 # rank 1 runs this code, the rest are workers
"""

import argparse
import math
import os
import socket
import time


def is_prime(n: int) -> bool:
    if n < 2:
        return False
    return all(n % f for f in range(2, math.isqrt(n) + 1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("low", type=int)
    parser.add_argument("high", type=int)
    parser.add_argument("--mpi", action="store_true", help="start Dask with dask-mpi")
    args = parser.parse_args()
    threads = int(os.environ.get("SLURM_CPUS_PER_TASK", os.environ.get("OMP_NUM_THREADS", "1")))

    if args.mpi:
        from dask_mpi import initialize
        from distributed import Client

        # Ranks other than 1 never return from initialize(): 0 runs the
        # scheduler, 2.. run workers, until rank 1 (this code) finishes.
        initialize(interface=os.environ.get("HPCLAB_IFACE"), nthreads=threads,
                   local_directory=os.environ.get("TMPDIR", "/tmp"), dashboard=False,
                   dashboard_address="127.0.0.1:0")  # never a fixed port on a shared node
        # When this script ends, dask-mpi tells the scheduler and workers to
        # stop, so the job ends by itself: no client.shutdown() needed.
        client = Client()
    else:
        import hpclab.cluster

        # Prime testing is pure Python: one process per core beats threads (GIL).
        client = hpclab.cluster.start(n_workers=threads, threads_per_worker=1, quiet=True)

    with client:
        if args.mpi:
            from mpi4py import MPI

            n_workers = MPI.COMM_WORLD.Get_size() - 2  # all ranks but scheduler and client
        else:
            n_workers = threads
        client.wait_for_workers(n_workers, timeout=120)
        start = time.perf_counter()
        count = sum(client.gather(client.map(is_prime, range(args.low, args.high + 1))))
        elapsed = time.perf_counter() - start
        hosts = sorted(set(client.run(socket.gethostname).values()))
        workers = len(client.scheduler_info()["workers"])
        print(f"{count} primes between {args.low} and {args.high} "
              f"[{elapsed:.2f} s on {workers} workers; hosts: {' '.join(hosts)}]")


if __name__ == "__main__":
    main()
