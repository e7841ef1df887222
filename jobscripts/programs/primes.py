"""Count primes with Dask futures: one node (local workers) or many (dask-mpi).

Usage: python primes.py LOW HIGH                  # a LocalCluster on this task's CPUs
       python -m mpi4py primes.py LOW HIGH --mpi  # under srun: rank 0 scheduler,
                                                 # rank 1 runs this code, the rest are workers
       ... --json FILE                           # also write the measurement to FILE

Prime testing by trial division is pure Python: a worker's threads would
take turns on the GIL, so every worker is one process with one thread, and
there is one worker per CPU the job asked for.
"""

import argparse
import json
import math
import os
import time


def is_prime(n: int) -> bool:
    if n < 2:
        return False
    return all(n % f for f in range(2, math.isqrt(n) + 1))


def count_primes(numbers: range) -> int:
    """One task: a whole batch of numbers, so Dask's ~1 ms per task is a small share."""
    return sum(map(is_prime, numbers))


def batches(low: int, high: int, pieces: int) -> list[range]:
    """Split LOW..HIGH (inclusive) into ``pieces`` contiguous ranges of nearly equal length."""
    size = high - low + 1
    edges = [low + size * i // pieces for i in range(pieces + 1)]
    return [range(a, b) for a, b in zip(edges, edges[1:]) if b > a]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("low", type=int)
    parser.add_argument("high", type=int)
    parser.add_argument("--mpi", action="store_true", help="start Dask with dask-mpi")
    parser.add_argument("--json", help="write the measurement to this file as well")
    parser.add_argument(
        "--timeout", type=float, default=1200, help="seconds to wait for the counting before giving up (default 1200)"
    )
    args = parser.parse_args()

    from distributed import wait

    import hpclab.binding
    import hpclab.cluster

    if args.mpi:
        from dask_mpi import initialize
        from distributed import Client

        # Ranks other than 1 never return from initialize(): 0 runs the
        # scheduler, 2.. run workers, until rank 1 (this code) finishes. Each
        # worker rank is one process with one thread; its memory limit is the
        # task's share of what the job asked for (Slurm kills a step over it).
        initialize(
            interface=os.environ.get("HPCLAB_IFACE"),
            nthreads=1,
            memory_limit=hpclab.cluster.slurm_task_memory() or "auto",
            local_directory=os.environ.get("TMPDIR", "/tmp"),
            dashboard=False,
            dashboard_address="127.0.0.1:0",
        )  # never a fixed port on a shared node
        # When this script ends, dask-mpi tells the scheduler and workers to
        # stop, so the job ends by itself: no client.shutdown() needed.
        client = Client(timeout=120)
        from mpi4py import MPI

        n_workers = MPI.COMM_WORLD.Get_size() - 2  # all ranks but scheduler and client
    else:
        # One worker per CPU this task may run on (Slurm binds it to --cpus-per-task CPUs).
        n_workers = hpclab.cluster.available_cores()
        client = hpclab.cluster.start(n_workers=n_workers, threads_per_worker=1, quiet=True, timeout=60)

    with client:
        client.wait_for_workers(n_workers, timeout=120)
        # Four batches per worker: large tasks, and still some left to even out the load.
        work = batches(args.low, args.high, 4 * n_workers)
        start = time.perf_counter()
        futures = client.map(count_primes, work)
        wait(futures, timeout=args.timeout)  # an error naming the wait, not a job held to its wall time
        count = sum(client.gather(futures))
        elapsed = time.perf_counter() - start
        where = hpclab.binding.workers(client)  # host, CPUs, threads, memory of each worker
        hosts = sorted({p["host"] for p in where})
        print(
            f"{count} primes between {args.low} and {args.high} "
            f"[{elapsed:.2f} s on {len(where)} workers; hosts: {' '.join(hosts)}]"
        )
        print(f"scheduler: {client.scheduler.address}")
        for p in where:
            print(hpclab.binding.describe(p))
        if args.json:
            with open(args.json, "w") as out:
                json.dump(
                    {
                        "count": count,
                        "seconds": elapsed,
                        "workers": len(where),
                        "hosts": hosts,
                        "placement": where,
                        "tasks": len(work),
                    },
                    out,
                )


if __name__ == "__main__":
    main()
