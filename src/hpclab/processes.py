"""Stopping what we started: one way, on psutil, for MPI runs, probes and daemons.

Each caller used to carry its own loop of signals and waits. Here is the one
rule they share: SIGTERM, a grace period, SIGKILL, then wait until the
processes have really left the process table (a zombie runs nothing and does
not count), and say which ones, if any, refused.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterable

import psutil


def alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie (exited, not yet reaped) is not running, and is reaped if ours."""
    try:
        if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
            return True
    except psutil.NoSuchProcess:
        return False
    with contextlib.suppress(ChildProcessError):  # not ours: its parent (often init) reaps it
        os.waitpid(pid, os.WNOHANG)
    return False


def _processes(targets: Iterable[int | psutil.Process]) -> list[psutil.Process]:
    found = []
    for target in targets:
        try:
            found.append(target if isinstance(target, psutil.Process) else psutil.Process(target))
        except psutil.NoSuchProcess:
            continue
    return found


def stop(targets: Iterable[int | psutil.Process], *, grace: float = 5, reap: float = 10) -> list[psutil.Process]:
    """SIGTERM every target, SIGKILL what is left after ``grace`` s, wait up to ``reap`` s more.

    Returns the processes still running after all that (normally none), so the
    caller can name them in its own error. Our children are reaped; others are
    polled until their parent (often init) reaps them.
    """
    procs = _processes(targets)
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.terminate()
    _, left = psutil.wait_procs(procs, timeout=grace)
    for proc in left:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    _, left = psutil.wait_procs(left, timeout=reap)
    return [proc for proc in left if alive(proc.pid)]


def stop_session(proc: subprocess.Popen, *, grace: float = 3) -> None:
    """Stop a process started with ``start_new_session=True`` and everything in its group.

    The group is signalled as a whole (that reaches children which already left
    the tree), then the leader and its remaining descendants are waited for.
    """
    try:
        members = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        members = []
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        _, members = psutil.wait_procs(members, timeout=grace)
        if not members:
            break
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)


def with_marker(marker: str) -> list[psutil.Process]:
    """Running processes whose command line contains ``marker`` (e.g. a run's unique temporary path)."""
    found = []
    for candidate in psutil.process_iter(["cmdline"]):
        try:
            if marker in " ".join(candidate.info["cmdline"] or []) and candidate.status() != psutil.STATUS_ZOMBIE:
                found.append(candidate)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def mapped_paths(containing: str) -> set[str]:
    """Paths containing ``containing`` that some process we may inspect has mapped into memory."""
    mapped: set[str] = set()
    for candidate in psutil.process_iter():
        try:
            mapped.update(m.path for m in candidate.memory_maps(grouped=True) if containing in m.path)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError, NotImplementedError):
            continue
    return mapped


def stop_tree(pid: int, grace: float = 5, include_root: bool = True) -> None:
    """Stop process ``pid`` and all its descendants, the deepest first; kill what is left after ``grace`` s.

    Leaves first: a Dask worker given SIGTERM leaves cleanly and its
    ``mpiexec`` then ends by itself, without the "BAD TERMINATION" report it
    prints when it is signalled while its process still runs. With
    ``include_root=False`` only the descendants (the caller reaps the root).
    """
    try:
        root = psutil.Process(pid)
        procs = [*reversed(root.children(recursive=True))] + ([root] if include_root else [])
    except psutil.NoSuchProcess:
        return
    for proc in procs:
        try:
            proc.terminate()
        except psutil.NoSuchProcess:
            continue
        try:
            proc.wait(timeout=grace)
        except psutil.TimeoutExpired:
            pass
    for proc in procs:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(procs, timeout=grace)
