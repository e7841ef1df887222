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

from distributed import get_worker

BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def probe(dask_worker=None) -> dict[str, Any]:
    """This process: host, machine id, CPUs, and the Dask worker's threads and memory limit if in one.

    ``client.run(probe)`` passes the worker as ``dask_worker``; in a task,
    Dask's ``get_worker()`` finds it. ``threads`` is the worker's thread count
    (``nthreads``), or outside a worker the Python threads of this process.
    ``machine`` is the kernel's boot id where there is one: virtual nodes of one
    machine share it and real nodes never do, so CPU numbers of two nodes are
    the same CPUs exactly when their ``machine`` is equal.

    Parameters
    ----------
    dask_worker : distributed.Worker, optional
        The worker this runs in; by default found with ``get_worker()``.

    Returns
    -------
    dict
        ``host``, ``machine``, ``pid``, ``cpus`` (sorted CPU numbers),
        ``threads`` and ``memory_limit`` (bytes; None outside a worker, or
        for a worker without a limit).
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
            worker = get_worker()
        except ValueError:  # not inside a Dask worker
            return found
    found["threads"] = worker.state.nthreads
    found["memory_limit"] = worker.memory_manager.memory_limit
    return found


def workers(client) -> list[dict[str, Any]]:
    """:func:`probe` on every worker of ``client``'s cluster, sorted by host and CPUs.

    What a job asked for is not always what its workers got: this shows, for
    each worker, the node it runs on, the CPUs it may use, its threads and its
    memory limit, so a job can print them next to its request.

    Parameters
    ----------
    client : distributed.Client
        A client of the cluster to look at.

    Returns
    -------
    list of dict
        One :func:`probe` result per worker, sorted by host, CPUs and pid.
    """
    return sorted(client.run(probe).values(), key=lambda p: (p["host"], p["cpus"], p["pid"]))


def describe(found: dict[str, Any], what: str = "worker") -> str:
    """One line a person can read and a test can parse: ``worker on node1: CPUs 0,1, 2 threads, ...``.

    Parameters
    ----------
    found : dict
        One result of :func:`probe` (or of :func:`workers`).
    what : str, default "worker"
        What ran the probe, the line's first word.

    Returns
    -------
    str
        Host, CPUs, threads and, when there is one, the memory limit in MiB.
    """
    limit = found.get("memory_limit")
    memory = f", memory limit {limit / 2**20:.0f} MiB" if limit else ""
    return (
        f"{what} on {found['host']}: CPUs {','.join(map(str, found['cpus']))}, "
        f"{found['threads']} thread{'' if found['threads'] == 1 else 's'}{memory}"
    )
