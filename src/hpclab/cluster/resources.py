"""What this session may really use: CPUs (affinity and quota) and memory (machine, cgroups, rlimits).

A login node has 128 CPUs and 512 GiB, but the administrator may allow one
user 4 CPUs (a cgroup ``cpu.max`` quota) and 16 GiB (systemd's user slice,
``memory.max``), or ``ulimit -v``. The kernel enforces those: a cluster sized
for the machine takes turns on 4 CPUs and is killed before Dask spills. Every
reader here takes ``root``, a folder laid out like ``/`` (``proc/<pid>/...``
and ``sys/fs/cgroup/...``), so that tests can hand it the files of another
machine; by default it reads this machine's, for this process.

Nothing here creates, moves or limits a cgroup: the files are only read.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from hpclab.errors import UsageError

UNLIMITED = 2**62  # cgroup v1 writes "no limit" as a huge number (9223372036854771712)
RLIMITS = {  # the line of /proc/<pid>/limits -> the rlimit's name
    "Max address space": "RLIMIT_AS",
    "Max data size": "RLIMIT_DATA",
    "Max resident set": "RLIMIT_RSS",
}


def positive_int(env: Mapping[str, str], name: str) -> int | None:
    """``env[name]`` as a whole number of at least 1; None when unset or empty; UsageError otherwise."""
    value = env.get(name, "").strip()
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        raise UsageError(f"{name}={value!r} is not a whole number: unset it, or set it to a whole number") from None
    if number < 1:
        raise UsageError(f"{name}={value!r} must be at least 1")
    return number


@dataclass(frozen=True)
class Limit:
    """One limit on this session: how much, and where it was read (for messages)."""

    amount: int
    source: str


@dataclass(frozen=True)
class Session:
    """The CPUs and memory this session may use, each the tightest of the limits found.

    Attributes
    ----------
    machine_cpus : int
        CPUs the machine has (online).
    cpus : int
        CPUs this process may use: its affinity, and the cgroup quota if tighter.
    machine_memory : int
        Bytes of memory the machine has.
    memory : int
        Bytes this process may use: the tightest of the machine, the cgroups and the rlimits.
    cpu_limits, memory_limits : tuple of Limit
        Every limit found, tightest or not, with where it was read.
    """

    machine_cpus: int
    cpus: int
    machine_memory: int
    memory: int
    cpu_limits: tuple[Limit, ...] = field(default=())
    memory_limits: tuple[Limit, ...] = field(default=())

    @property
    def capped_memory(self) -> bool:
        """True when something below the machine's total limits this session's memory."""
        return self.memory < self.machine_memory


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None


def parse_cpu_list(text: str) -> list[int]:
    """CPU numbers from the kernel's list form (``0-3,8,10-11``)."""
    cpus: list[int] = []
    for part in text.strip().split(","):
        if not part.strip():
            continue
        first, _, last = part.partition("-")
        cpus.extend(range(int(first), int(last or first) + 1))
    return cpus


def _cgroups(root: Path, pid: str) -> Iterator[tuple[str, str]]:
    """(controllers, path) for each line of ``proc/<pid>/cgroup``; controllers is "" for cgroup v2."""
    text = _read(root / "proc" / pid / "cgroup") or ""
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            yield parts[1], parts[2] or "/"


def _up_from(path: str) -> Iterator[str]:
    """``/a/b/c``, ``/a/b``, ``/a``, ``/``: a cgroup and its parents (a parent's limit binds its children)."""
    parts = [p for p in path.split("/") if p]
    for n in range(len(parts), -1, -1):
        yield "/" + "/".join(parts[:n])


def _v1_mounts(root: Path, controllers: str, wanted: str) -> list[Path]:
    """Where cgroup v1 mounts the hierarchy that holds controller ``wanted`` (``cpu,cpuacct``, ``cpu``...)."""
    names = controllers.split(",")
    if wanted not in names:
        return []
    base = root / "sys" / "fs" / "cgroup"
    candidates = [",".join(names), ",".join(reversed(names)), *names]
    return [base / name for name in dict.fromkeys(candidates) if (base / name).is_dir()]


def _cgroup_files(root: Path, pid: str, v2_name: str, v1_controller: str, v1_name: str) -> Iterator[tuple[Path, str]]:
    """(file, its text) for one limit in the process's cgroup and every parent, v2 and v1."""
    base = root / "sys" / "fs" / "cgroup"
    for controllers, path in _cgroups(root, pid):
        if controllers == "":
            mounts = [base]
            name = v2_name
        else:
            mounts = _v1_mounts(root, controllers, v1_controller)
            name = v1_name
        for mount in mounts:
            for group in _up_from(path):
                file = mount / group.lstrip("/") / name
                text = _read(file)
                if text is not None:
                    yield file, text


def _shown(file: Path, root: Path) -> str:
    try:
        return "/" + str(file.relative_to(root)).lstrip("/")
    except ValueError:
        return str(file)


def cpu_limits(root: str | os.PathLike = "/", pid: str = "self") -> list[Limit]:
    """CPU limits of the process: its affinity, and each cgroup CPU quota of its cgroup and parents.

    The quota (cgroup v2 ``cpu.max`` "QUOTA PERIOD", v1 ``cpu.cfs_quota_us`` /
    ``cpu.cfs_period_us``) is CPU time per period: 400000/100000 is 4 CPUs'
    worth, however many CPUs the affinity lists. Rounded up, as Dask does.
    """
    root = Path(root)
    found: list[Limit] = []
    if root == Path("/") and pid == "self" and hasattr(os, "sched_getaffinity"):
        found.append(Limit(len(os.sched_getaffinity(0)), "the CPU affinity (sched_getaffinity)"))
    else:
        status = _read(root / "proc" / pid / "status") or ""
        for line in status.splitlines():
            if line.startswith("Cpus_allowed_list:"):
                cpus = parse_cpu_list(line.split(":", 1)[1])
                if cpus:
                    found.append(Limit(len(cpus), f"the CPU affinity (/proc/{pid}/status)"))
    for file, text in _cgroup_files(root, pid, "cpu.max", "cpu", "cpu.cfs_quota_us"):
        try:
            if file.name == "cpu.max":
                quota_text, _, period_text = text.partition(" ")
                if quota_text == "max":
                    continue
                quota, period = int(quota_text), int(period_text or 100000)
            else:
                quota = int(text)
                period = int(_read(file.with_name("cpu.cfs_period_us")) or 100000)
        except ValueError:
            continue
        if quota > 0 and period > 0:
            found.append(Limit(max(1, math.ceil(quota / period)), f"the CPU quota in {_shown(file, root)}"))
    return found


def machine_cpus(root: str | os.PathLike = "/") -> int:
    """CPUs the machine has online (``/sys/devices/system/cpu/online``; else ``os.cpu_count()``)."""
    text = _read(Path(root) / "sys" / "devices" / "system" / "cpu" / "online")
    if text:
        with_list = parse_cpu_list(text)
        if with_list:
            return len(with_list)
    return os.cpu_count() or 1


def machine_memory(root: str | os.PathLike = "/") -> int:
    """Bytes of memory the machine has (``MemTotal`` in ``/proc/meminfo``; else psutil's total)."""
    for line in (_read(Path(root) / "proc" / "meminfo") or "").splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    return int(psutil.virtual_memory().total)


def memory_limits(root: str | os.PathLike = "/", pid: str = "self") -> list[Limit]:
    """Memory limits of the process: its cgroup's and every parent's, and its rlimits.

    cgroup v2 ``memory.max`` (the OOM killer acts above it) and ``memory.high``
    (reclaim and throttling above it), v1 ``memory.limit_in_bytes``; of each
    cgroup from the process's own up to the root, since a parent's limit
    (systemd's ``user-1000.slice``, say) binds every session in it. The
    rlimits ``RLIMIT_AS`` (``ulimit -v``), ``RLIMIT_DATA`` (``ulimit -d``) and
    ``RLIMIT_RSS`` (``ulimit -m``), their soft values (the ones enforced), from
    ``/proc/<pid>/limits``.
    """
    root = Path(root)
    found: list[Limit] = []
    files = list(_cgroup_files(root, pid, "memory.max", "memory", "memory.limit_in_bytes"))
    files += [(f, t) for f, t in _cgroup_files(root, pid, "memory.high", "memory", "") if f.name == "memory.high"]
    for file, text in files:
        if text.isdigit() and 0 < int(text) < UNLIMITED:
            found.append(Limit(int(text), f"the cgroup limit in {_shown(file, root)}"))
    limits = _read(root / "proc" / pid / "limits")
    if limits is not None:
        for line in limits.splitlines():
            for label, name in RLIMITS.items():
                if line.startswith(label):
                    soft = line[len(label) :].split()[0]
                    if soft.isdigit() and int(soft) > 0:
                        found.append(Limit(int(soft), f"{name} (ulimit)"))
    elif root == Path("/") and pid == "self":  # no /proc (macOS): ask the kernel directly
        import resource  # noqa: PLC0415  Unix only

        for name in RLIMITS.values():
            number = getattr(resource, name, None)
            if number is None:
                continue
            value = resource.getrlimit(number)[0]
            if 0 < value != resource.RLIM_INFINITY:
                found.append(Limit(value, f"{name} (ulimit)"))
    return found


def session(root: str | os.PathLike = "/", pid: str = "self") -> Session:
    """The CPUs and memory the process ``pid`` may use, from the files under ``root``.

    Parameters
    ----------
    root : str or path, default "/"
        A folder laid out like ``/``: ``proc/<pid>/{status,cgroup,limits}``,
        ``proc/meminfo``, ``sys/fs/cgroup/...``, ``sys/devices/system/cpu/online``.
    pid : str, default "self"
        Whose limits: ``self`` (this process) or a process id.

    Returns
    -------
    Session
        The machine's CPUs and memory, the session's (the tightest limits), and every limit found.
    """
    cpus_found = tuple(cpu_limits(root, pid))
    memory_found = tuple(memory_limits(root, pid))
    total_cpus = machine_cpus(root)
    total_memory = machine_memory(root)
    cpus = min([total_cpus, *(limit.amount for limit in cpus_found)])
    memory = min([total_memory, *(limit.amount for limit in memory_found)])
    return Session(total_cpus, max(1, cpus), total_memory, memory, cpus_found, memory_found)


def available_cores(root: str | os.PathLike | None = None) -> int:
    """The number of cores this process may run on.

    Not the machine's core count: inside a Slurm job, a container or a cgroup,
    the process may be bound to fewer CPUs (its affinity) or given less CPU
    time (a cgroup CPU quota, ``cpu.max``, of its cgroup or a parent, as a
    login node may set per user), and starting more workers than that only
    makes them take turns. (On macOS, which has neither, the machine's count.)

    Parameters
    ----------
    root : str or path, optional
        A folder laid out like ``/`` to read instead of this machine (tests).

    Returns
    -------
    int
        The tightest of the affinity and the quotas, at least 1.
    """
    return session("/" if root is None else root).cpus


def shared_machine(
    env: Mapping[str, str], *, uids: set[int] | None = None, have_slurm: bool | None = None
) -> str | None:
    """Why other people use this machine too, or None if nothing says so.

    A Slurm job or a machine with ``sbatch`` is part of a cluster (login nodes
    have hundreds of users; a cluster network reaches every node); elsewhere,
    processes of other human users (uid 1000 and up) give it away.
    """
    if env.get("SLURM_JOB_ID"):
        return "this runs in a Slurm job: compute nodes are shared, and the cluster network reaches every node"
    if have_slurm if have_slurm is not None else shutil.which("sbatch") is not None:
        return "Slurm's sbatch is installed: a cluster's login node, which many users share"
    if uids is None:
        uids = set()
        for proc in psutil.process_iter(["uids"]):
            if proc.info["uids"] is not None:
                uids.add(proc.info["uids"].real)
    others = sorted(u for u in uids if u >= 1000 and u != 65534 and u != os.geteuid())
    return f"processes of {len(others)} other user{'' if len(others) == 1 else 's'} run here" if others else None
