"""Lesson 13, case 6: the mean and spread of a large random dataset, block by block, on a Dask cluster.

Usage: python breakfix_killed.py SCHEDULER_FILE N_WORKERS [--total-mb N] [--chunk-mb N]

Connects to the job's dask-mpi cluster by its scheduler file and goes through
``--total-mb`` MB of random float64 in blocks of ``--chunk-mb`` MB (the last one
holds what is left): one task per block, which holds its whole block while it runs.
The data, and so the mean printed, do not depend on the block size. A worker runs as
many tasks at once as it has threads, so it holds up to threads x ``--chunk-mb`` MB of blocks
on top of what it holds at rest (printed first). When that passes 95% of the
worker's memory limit its nanny kills it and starts a new one; once a task was
held by more dying workers than ``distributed.scheduler.allowed-failures`` (3)
allows, the scheduler gives up on it and the client raises ``KilledWorker``.
The cluster is shut down either way, so the job ends (and fails) at once
instead of waiting for its time limit.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from hpclab.cluster import client

PER_MB = 2**20 // 8  # float64 numbers in one MB (MiB)


def block_stats(first_mb: int, size_mb: int) -> tuple[int, float, float]:
    """Count, sum and sum of squares of MB ``first_mb`` to ``first_mb + size_mb`` of the data, made here.

    Each MB of the data is made from a seed of its own (its position), so the data, and the
    answer, are the same whatever the block size: blocks change what a task holds, not the result.
    """
    block = np.empty(size_mb * PER_MB)  # the whole block, resident while the task runs
    for mb in range(size_mb):
        np.random.default_rng(first_mb + mb).random(out=block[mb * PER_MB : (mb + 1) * PER_MB])
    return block.size, float(block.sum()), float(np.dot(block, block))  # no temporary copy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scheduler_file", type=Path)
    parser.add_argument("n_workers", type=int)
    parser.add_argument("--total-mb", type=int, default=800, help="data to go through, in MB")
    parser.add_argument("--chunk-mb", type=int, default=400, help="size of one block (one task), in MB")
    args = parser.parse_args()

    deadline = time.monotonic() + 60
    while not args.scheduler_file.exists():  # the scheduler writes it once it listens
        if time.monotonic() > deadline:
            sys.exit(f"no scheduler file {args.scheduler_file} after 60 s: did dask-mpi start? (see the job's output)")
        time.sleep(0.5)

    with client(args.scheduler_file, quiet=True, timeout=60) as c:
        try:
            c.wait_for_workers(args.n_workers, timeout=60)
            for address, w in sorted(c.scheduler_info(n_workers=-1)["workers"].items()):
                print(
                    f"worker {address}: {w['nthreads']} thread(s), memory limit {w['memory_limit'] / 2**20:.0f} MiB, "
                    f"holding {w['metrics']['memory'] / 2**20:.0f} MiB before any block"
                )
            starts = range(0, args.total_mb, args.chunk_mb)  # the last block holds what is left
            sizes = [min(args.chunk_mb, args.total_mb - start) for start in starts]
            print(f"{len(sizes)} blocks of {args.chunk_mb} MB: each task holds one block while it runs", flush=True)
            futures = c.map(block_stats, starts, sizes)
            count, total, squares = np.sum(c.gather(futures), axis=0)  # KilledWorker is raised here
            mean = total / count
            print(
                f"mean {mean:.6f}, standard deviation {np.sqrt(squares / count - mean**2):.6f} of {count:.0f} numbers"
            )
        finally:
            c.shutdown()  # the scheduler and workers stop: the srun step, and so the job, ends


if __name__ == "__main__":
    main()
