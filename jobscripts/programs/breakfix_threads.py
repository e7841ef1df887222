"""Lesson 13: the same matrix work on a Dask cluster of ``--workers`` x ``--threads-per-worker``.

Every product is a BLAS call (OpenBLAS, in NumPy), and each BLAS call may itself
start threads: a worker process has OMP_NUM_THREADS / OPENBLAS_NUM_THREADS from its
environment (a Dask Nanny sets them to 1 unless they are already set). So up to
workers x threads per worker x BLAS threads want a CPU at once. The program prints,
from inside each worker, what it may use and what it started, then the count
against the CPUs of the task, then how long the work took.
"""

import argparse
import os
import time

import numpy as np
import threadpoolctl
from dask.system import CPU_COUNT
from distributed import Client, LocalCluster, wait


def blas_threads() -> int:
    """The threads OpenBLAS (or MKL, or an OpenMP runtime) will use in this process, as threadpoolctl reads them."""
    return max([pool["num_threads"] for pool in threadpoolctl.threadpool_info()] or [1])


def inside(dask_worker) -> dict:
    """What a worker process may use and what it started (``client.run`` runs it in each worker)."""
    np.ones((2, 2)) @ np.ones((2, 2))  # BLAS loaded and its threads started
    return {
        "pid": os.getpid(),
        "affinity": len(os.sched_getaffinity(0)),
        "dask_threads": dask_worker.state.nthreads,
        "blas_threads": blas_threads(),
        "env": {k: os.environ.get(k, "-") for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")},
    }


def os_threads() -> int:
    """The threads this process has now (Linux: one entry each in /proc/self/task)."""
    return len(os.listdir("/proc/self/task"))


def task(seed: int, size: int, products: int) -> float:
    """A few products of random matrices: the same work whatever the layout."""
    rng = np.random.default_rng(seed)
    a = rng.random((size, size))
    for _ in range(products):
        a = np.tanh(a @ a / (0.25 * size))  # stays within [-1, 1]
    return float(a.trace())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=1, help="Dask worker processes")
    parser.add_argument("--threads-per-worker", type=int, default=1, help="threads of each worker")
    parser.add_argument("--tasks", type=int, default=48, help="tasks, each a few matrix products")
    parser.add_argument("--size", type=int, default=300, help="matrices are size x size")
    parser.add_argument("--products", type=int, default=20, help="products per task")
    args = parser.parse_args()
    cpus = len(os.sched_getaffinity(0))
    print(
        f"task: SLURM_CPUS_PER_TASK={os.environ.get('SLURM_CPUS_PER_TASK', '-')}, "
        f"os.sched_getaffinity(0): {cpus} CPUs, os.cpu_count(): {os.cpu_count()}, dask's CPU_COUNT: {CPU_COUNT}",
        flush=True,
    )
    started = time.perf_counter()
    with (
        LocalCluster(
            n_workers=args.workers,
            threads_per_worker=args.threads_per_worker,
            processes=True,
            dashboard_address=None,
            memory_limit="400MB",
        ) as cluster,
        Client(cluster, timeout=60) as client,
    ):
        client.wait_for_workers(args.workers, timeout=60)
        up = time.perf_counter() - started
        seen = client.run(inside)
        for number, info in enumerate(sorted(seen.values(), key=lambda i: i["pid"]), start=1):
            env = " ".join(f"{k}={v}" for k, v in info["env"].items())
            print(
                f"worker {number}: may use {info['affinity']} CPUs; Dask threads {info['dask_threads']}, "
                f"BLAS threads {info['blas_threads']} ({env})",
                flush=True,
            )
        compute = sum(info["dask_threads"] * info["blas_threads"] for info in seen.values())
        print(
            f"threads that compute: {len(seen)} workers x {args.threads_per_worker} threads x "
            f"{max(i['blas_threads'] for i in seen.values())} BLAS threads = {compute} on {cpus} CPUs",
            flush=True,
        )
        begun = time.perf_counter()
        futures = client.map(task, range(args.tasks), size=args.size, products=args.products)
        wait(futures, timeout=300)  # a lost worker ends the job with an error, not at its wall time
        total = sum(client.gather(futures))
        work = time.perf_counter() - begun
        started_threads = sorted(client.run(os_threads).values())
    print(f"threads in each worker process after the work (/proc/PID/task): {started_threads}", flush=True)
    print(
        f"work: {args.tasks} tasks of {args.products} products of {args.size}x{args.size} in {work:.2f} s "
        f"(cluster up in {up:.1f} s); checksum {total:.4e}",
        flush=True,
    )
