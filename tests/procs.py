"""Find processes a test run started and left behind (kernels, Dask, MPI)."""

from __future__ import annotations

import time

import psutil

# Command-line fragments of the processes our tests start.
PATTERNS = ("ipykernel_launcher", "mpiexec", "hydra_pmi_proxy", "mpi4py", "spawn_main",
            "distributed.cli", "dask scheduler", "dask worker", "dask-scheduler", "dask-worker")


def _key(proc: psutil.Process) -> tuple[int, float]:
    return proc.pid, proc.create_time()


def matching() -> dict[tuple[int, float], str]:
    """Running processes whose command line matches one of PATTERNS."""
    found = {}
    for proc in psutil.process_iter(["cmdline"]):
        try:
            line = " ".join(proc.info["cmdline"] or [])
            if any(p in line for p in PATTERNS) and proc.status() != psutil.STATUS_ZOMBIE:
                found[_key(proc)] = line
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def leftovers(before: dict, grace: float = 15.0) -> dict[tuple[int, float], str]:
    """Matching processes that were not running at ``before`` and are still up after ``grace`` s."""
    deadline = time.monotonic() + grace
    while True:
        new = {k: v for k, v in matching().items() if k not in before}
        if not new or time.monotonic() > deadline:
            return new
        time.sleep(0.5)


def kill(found: dict) -> None:
    for pid, _ in found:
        try:
            psutil.Process(pid).kill()
        except psutil.NoSuchProcess:
            pass
