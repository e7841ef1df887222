"""Where a process really runs: its host, the CPUs it may use, its threads and memory limit.

A job script *asks* for CPUs and memory; what each task *gets* depends on the
site's Slurm (task binding, ``srun`` options) and on how Dask was started.
These probes report what is true inside a running task or Dask worker, so a
job can print it and a test, or ``hpclab site-check``, can compare it with what
was asked for.
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path
from typing import Any

BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def probe(dask_worker=None) -> dict[str, Any]:
    """This process: host, machine id, CPUs, and the Dask worker's threads and memory limit if in one.

    ``client.run(probe)`` passes the worker as ``dask_worker``; in a task,
    Dask's ``get_worker()`` finds it. ``threads`` is the worker's thread count
    (``nthreads``), or outside a worker the Python threads of this process.
    ``machine`` is the kernel's boot id where there is one: virtual nodes of one
    machine share it and real nodes never do, so CPU numbers of two nodes are
    the same CPUs exactly when their ``machine`` is equal.
    """
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        cpus = list(range(os.cpu_count() or 1))
    found: dict[str, Any] = {
        "host": socket.gethostname(),
        "machine": BOOT_ID.read_text().strip() if BOOT_ID.exists() else socket.gethostname(),
        "pid": os.getpid(),
        "cpus": cpus,
        "threads": threading.active_count(),
        "memory_limit": None,
    }
    worker = dask_worker
    if worker is None:
        try:
            from distributed import get_worker

            worker = get_worker()
        except (ImportError, ValueError):  # not inside a Dask worker
            return found
    found["threads"] = worker.state.nthreads
    found["memory_limit"] = worker.memory_manager.memory_limit
    return found


def workers(client) -> list[dict[str, Any]]:
    """:func:`probe` on every worker of ``client``'s cluster, sorted by host and CPUs."""
    return sorted(client.run(probe).values(), key=lambda p: (p["host"], p["cpus"], p["pid"]))


def describe(found: dict[str, Any], what: str = "worker") -> str:
    """One line a person can read and a test can parse: ``worker on node1: CPUs 0,1, 2 threads, ...``."""
    limit = found.get("memory_limit")
    memory = f", memory limit {limit / 2**20:.0f} MiB" if limit else ""
    return (
        f"{what} on {found['host']}: CPUs {','.join(map(str, found['cpus']))}, "
        f"{found['threads']} thread{'' if found['threads'] == 1 else 's'}{memory}"
    )
