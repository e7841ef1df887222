"""The dedicated unprivileged uids a sandbox runs under as root, one per sandbox.

As root, everything in a sandbox runs under a uid of its own, far from login
users, system users and ``/etc/subuid`` ranges: ``RLIMIT_NPROC`` then counts
that submission's processes only, and it can signal nothing but itself. A uid
is taken by an ``flock`` in :data:`LOCK_DIR` while a sandbox uses it, and only
when no process runs under it. Without root there is no dedicated uid: the
sandbox runs as the instructor, in a user namespace bubblewrap makes.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

import psutil

from hpclab import config
from hpclab.grading.sandbox.errors import SandboxError

DEFAULT_UID_BASE = 2_913_000_000  # far from login users, system users and /etc/subuid ranges
UID_COUNT = 4096
LOCK_DIR = Path("/run/hpclab-sandbox")  # one flock per dedicated uid while it is in use


def is_root() -> bool:
    """True when this process runs as root: then every sandbox gets a dedicated uid of its own."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def allocate_uid() -> tuple[int, int]:
    """A dedicated uid nobody uses, and the fd of the lock that holds it (close it to give the uid back).

    Raises
    ------
    SandboxError
        When every uid of the range is in use (set :data:`config.SANDBOX_UID_BASE` to another range).
    """
    LOCK_DIR.mkdir(mode=0o700, exist_ok=True)
    base = int(os.environ.get(config.SANDBOX_UID_BASE) or DEFAULT_UID_BASE)
    in_use = set()
    for proc in psutil.process_iter(["uids"]):
        try:
            in_use.add(proc.info["uids"].real)
        except (TypeError, AttributeError):
            continue
    for uid in range(base, base + UID_COUNT):
        if uid in in_use:
            continue
        fd = os.open(LOCK_DIR / f"{uid}.lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return uid, fd
    raise SandboxError(
        f"all {UID_COUNT} sandbox uids from {base} are in use; set {config.SANDBOX_UID_BASE} to another range"
    )


def processes_of(uid: int) -> int:
    """Processes and threads ``uid`` runs now (what RLIMIT_NPROC counts)."""
    count = 0
    for proc in psutil.process_iter(["uids", "num_threads"]):
        try:
            if proc.info["uids"].real == uid:
                count += proc.info["num_threads"] or 1
        except (TypeError, AttributeError):
            continue
    return count


def kill_processes_of(uid: int, *, within: float = 10) -> None:
    """SIGKILL whatever ``uid`` still runs, again and again until nothing is left (or ``within`` seconds pass)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        left = [p for p in psutil.process_iter(["uids"]) if p.info["uids"] is not None and p.info["uids"].real == uid]
        if not left:
            return
        for proc in left:
            try:
                proc.kill()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass
        time.sleep(0.1)
