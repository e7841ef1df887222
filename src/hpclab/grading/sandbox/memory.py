"""What a sandbox holds in memory, measured from outside, and what the machine has left.

No cgroups (those belong to the machine), and no ``RLIMIT_AS`` (it would break
OpenBLAS, pyarrow and Dask's threads): the sandbox's watchdog
(:meth:`hpclab.grading.sandbox.box.Sandbox.usage`) polls what these functions
measure, as Dask's nanny does. The PSS of the sandbox's whole process tree
(shared pages count once), plus the memory PSS misses: memfd files its
processes hold open or only map (their whole size, each once), the used space
of its tmpfs mounts, System V shared memory in its IPC namespace, and the
files in the kernel's socket folder. Last, a guard for the machine: every
sandbox stops when the host's ``MemAvailable`` falls under
:func:`memory_floor`; it alone catches what cannot be attributed without
cgroups (Unix socket buffers, a tmpfs in a nested user namespace, kernel memory).
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import psutil

from hpclab.grading.sandbox.files import folder_bytes

CLONE_NEWIPC = 0x08000000


def memory_floor(total: int) -> int:
    """The machine's available memory under which sandboxes stop: 1 GiB or a tenth of ``total``, the larger."""
    return max(2**30, total // 10)


def _meminfo(table: str = "/proc/meminfo") -> dict[str, int]:
    """The machine's memory figures in bytes, by name (``MemTotal``, ``MemAvailable``)."""
    figures = {}
    for line in Path(table).read_text().splitlines():
        name, _, rest = line.partition(":")
        words = rest.split()
        if words and words[0].isdigit():
            figures[name] = int(words[0]) * (1024 if words[1:] == ["kB"] else 1)
    return figures


def host_floor() -> int:
    """:func:`memory_floor` of this machine's memory."""
    return memory_floor(_meminfo()["MemTotal"])


def host_short_of_memory(floor: int) -> str:
    """Why the machine is short of memory ('' when it is not): its MemAvailable under ``floor``.

    The guard for what the watchdog cannot attribute to a sandbox: Unix socket
    buffers, a tmpfs mounted in a nested user namespace, kernel memory.
    """
    available = _meminfo()["MemAvailable"]
    if available >= floor:
        return ""
    return (
        f"the machine had {available / 2**30:.2f} GiB of memory left, under the floor of {floor / 2**30:.2f} GiB "
        "(memory held where it cannot be counted, such as socket buffers, or by other programs)"
    )


def pss(procs: Iterable[psutil.Process]) -> int:
    """The sum of the PSS of ``procs`` (RSS where PSS cannot be read)."""
    total = 0
    for proc in procs:
        try:
            total += proc.memory_full_info().pss
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
        except (psutil.AccessDenied, AttributeError):
            try:
                total += proc.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
    return total


def held_files(procs: Iterable[psutil.Process], tmpfs_mounts: Sequence[str], sockets: Path | None, limit: int) -> int:
    """Bytes of memory files ``procs`` hold open, their tmpfs mounts' use, and ``sockets``' files.

    ``limit`` bounds the walk through ``sockets`` (past it, the sum is over anyway).
    """
    pids = [proc.pid for proc in procs]
    inside = inside_pid(pids)
    mounts = 0 if inside is None else sum(_used_space(f"/proc/{inside}/root{m}") for m in tmpfs_mounts)
    return _memfd_bytes(pids) + mounts + (folder_bytes(sockets, limit) if sockets is not None else 0)


def inside_pid(pids: Iterable[int]) -> int | None:
    """One of ``pids`` that lives in the sandbox's mount namespace (not the grader's)."""
    try:
        ours = os.readlink("/proc/self/ns/mnt")
    except OSError:
        return None
    for pid in pids:
        try:
            if os.readlink(f"/proc/{pid}/ns/mnt") != ours:
                return pid
        except OSError:
            continue
    return None


def _used_space(path: str) -> int:
    """Bytes in use on the file system at ``path`` (0 when it is gone)."""
    try:
        info = os.statvfs(path)
    except OSError:
        return 0
    return (info.f_blocks - info.f_bfree) * info.f_frsize


def _memfd_bytes(pids: Iterable[int]) -> int:
    """Bytes stored in the memfd files ``pids`` hold open or map, each file counted once.

    One rule for both: a memfd file counts its allocated size (``st_blocks``)
    whether a descriptor or only a mapping keeps it (its descriptor closed);
    pages of it a process touched count in its PSS as well (see :meth:`Sandbox.usage`).
    """
    sizes: dict[tuple[int, int], int] = {}
    for pid in pids:
        sizes.update(_memfds_held(pid))
        sizes.update(_memfds_mapped(pid))
    return sum(sizes.values())


def _memfds_held(pid: int) -> dict[tuple[int, int], int]:
    """The memfd files ``pid`` holds a descriptor of: (device, inode) -> allocated bytes."""
    sizes: dict[tuple[int, int], int] = {}
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return sizes
    for fd in fds:
        link = f"/proc/{pid}/fd/{fd}"
        try:
            if not os.readlink(link).startswith("/memfd:"):
                continue
            info = os.stat(link)
        except OSError:
            continue
        sizes[(info.st_dev, info.st_ino)] = info.st_blocks * 512
    return sizes


def _memfds_mapped(pid: int) -> dict[tuple[int, int], int]:
    """The memfd files ``pid`` maps: (device, inode) -> allocated bytes.

    The size comes from ``/proc/<pid>/map_files`` (root may read it); where
    that is refused, the mapping's length stands for it (the machine's side).
    """
    sizes: dict[tuple[int, int], int] = {}
    try:
        lines = Path(f"/proc/{pid}/maps").read_text().splitlines()
    except OSError:
        return sizes
    for line in lines:
        fields = line.split(maxsplit=5)
        if len(fields) < 6 or not fields[5].startswith("/memfd:"):
            continue
        span, device, inode = fields[0], fields[3], int(fields[4])
        major, minor = (int(part, 16) for part in device.split(":"))
        start, end = (int(part, 16) for part in span.split("-"))
        try:
            size = os.stat(f"/proc/{pid}/map_files/{span}").st_blocks * 512
        except OSError:
            size = end - start
        key = (os.makedev(major, minor), inode)
        sizes[key] = max(sizes.get(key, 0), size)
    return sizes


def join_ipc_namespace(pid: int) -> bool:
    """Move the calling thread (only it) into the IPC namespace of ``pid``; False where that is refused."""
    try:
        fd = os.open(f"/proc/{pid}/ns/ipc", os.O_RDONLY)
    except OSError:
        return False
    try:
        return ctypes.CDLL(None, use_errno=True).setns(fd, CLONE_NEWIPC) == 0
    finally:
        os.close(fd)


def sysv_shm_bytes(table: str = "/proc/sysvipc/shm") -> int:
    """Resident bytes of the System V segments in ``table`` (the reader's IPC namespace)."""
    try:
        lines = Path(table).read_text().splitlines()
    except OSError:
        return 0
    if not lines:
        return 0
    header = lines[0].split()
    if "rss" not in header:
        return 0
    column = header.index("rss")
    return sum(int(row.split()[column]) for row in lines[1:] if len(row.split()) > column)
