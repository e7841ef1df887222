"""Find processes this test run started and left behind (kernels, Dask, MPI).

The run puts a unique tag in its environment; every process it starts
inherits it, so leaks are found exactly, and other people's kernels and
clusters on a shared machine are never touched.
"""

from __future__ import annotations

import os
import time
import uuid

import psutil

TAG = "HPCLAB_TEST_RUN"


def tag_this_run() -> str:
    value = uuid.uuid4().hex
    os.environ[TAG] = value
    return value


def tagged(value: str) -> dict[int, str]:
    """Live processes (other than this one) carrying the run's tag."""
    found = {}
    for proc in psutil.process_iter(["cmdline"]):
        if proc.pid == os.getpid():
            continue
        try:
            line = " ".join(proc.info["cmdline"] or [])
            # multiprocessing's resource tracker belongs to this very process and
            # exits with it; everything else tagged must be gone by now.
            if "multiprocessing.resource_tracker" in line and proc.ppid() == os.getpid():
                continue
            if proc.environ().get(TAG) == value and proc.status() != psutil.STATUS_ZOMBIE:
                found[proc.pid] = line
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def leftovers(value: str, grace: float = 15.0) -> dict[int, str]:
    """Tagged processes still running after ``grace`` seconds."""
    deadline = time.monotonic() + grace
    while True:
        found = tagged(value)
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def kill(found: dict[int, str]) -> None:
    for pid in found:
        try:
            psutil.Process(pid).kill()
        except psutil.NoSuchProcess:
            pass
