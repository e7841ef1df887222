"""What one submission may use: :class:`Limits`, and how far this process may set them.

None of them are cgroups (those belong to the machine): ``RLIMIT_NPROC``
(processes and threads), ``RLIMIT_CPU`` (CPU seconds per process),
``RLIMIT_CORE`` 0, ``RLIMIT_FSIZE`` (no file larger than the memory limit:
every file a submission can write is held in memory) and ``RLIMIT_NOFILE``,
set by ``prlimit``; the memory limit is kept by the watchdog
(:mod:`hpclab.grading.sandbox.memory`).
"""

from __future__ import annotations

import resource
from dataclasses import dataclass

from hpclab.grading.sandbox.uids import is_root

OPEN_FILES = 4096  # RLIMIT_NOFILE: a kernel, a local Dask cluster and MPI ranks use a few hundred


@dataclass(frozen=True)
class Limits:
    """What one submission may use."""

    # bytes: the PSS of the submission's processes plus its files in memory (tmpfs, memfd, System V
    # shared memory, socket folder);
    # also the size of each of its tmpfs mounts and the largest file it may write (RLIMIT_FSIZE)
    memory: int = 4 * 1024**3
    processes: int = 512  # processes and threads of the submission's uid (RLIMIT_NPROC)
    cpu_seconds: int = 900  # CPU seconds per process (RLIMIT_CPU)
    open_files: int = OPEN_FILES  # file descriptors per process (RLIMIT_NOFILE)
    poll: float = 0.25  # seconds between two looks of the memory watchdog
    # bytes: the watchdog stops the sandbox when the machine's MemAvailable falls under it
    # (None: memory_floor() of the machine's memory)
    host_floor: int | None = None


def at_most_hard_limit(name: str, wanted: int) -> int:
    """``wanted``, or less when this process's hard limit ``name`` is lower: only root may raise one."""
    hard = resource.getrlimit(getattr(resource, name))[1]
    return wanted if is_root() or hard == resource.RLIM_INFINITY else min(wanted, hard)
