"""The sandbox of one submission: its life cycle, the kernel's command in it, and its watchdog.

:class:`Sandbox` puts the parts together: on entering, a dedicated uid (as
root) and a seed folder the sandbox starts from; :meth:`Sandbox.command`
wraps the kernel's command in ``prlimit`` (the limits), ``bwrap`` (namespaces
and the file system of :mod:`hpclab.grading.sandbox.mounts`) and, as root,
``setpriv`` (the dedicated uid, no capabilities, ``no_new_privs``);
:meth:`Sandbox.started` starts the memory watchdog; leaving kills all it ran
and removes what it left.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import sys
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import psutil

from hpclab.grading.sandbox.bubblewrap import bwrap_program, unavailable_reason
from hpclab.grading.sandbox.environment import sandboxed_env
from hpclab.grading.sandbox.errors import SandboxError
from hpclab.grading.sandbox.files import chown_tree, remove_tree, tree
from hpclab.grading.sandbox.limits import Limits, at_most_hard_limit
from hpclab.grading.sandbox.memory import (
    held_files,
    host_floor,
    host_short_of_memory,
    inside_pid,
    join_ipc_namespace,
    pss,
    sysv_shm_bytes,
)
from hpclab.grading.sandbox.mounts import INSIDE_HOME, INSIDE_SCRATCH, INSIDE_SEED, file_system
from hpclab.grading.sandbox.uids import allocate_uid, is_root, kill_processes_of, processes_of

# Run inside, as the sandbox's uid, before the kernel: fill the tmpfs mounts from the seed.
_START = (
    f"mkdir -p {INSIDE_HOME} {INSIDE_SCRATCH} && cp -R {INSIDE_SEED}/home/. {INSIDE_HOME}/ "
    f'&& cp -R {INSIDE_SEED}/work/. . && exec "$@"'
)


@dataclass
class Sandbox:
    """The sandbox of one submission: enter it (``with``), wrap the kernel's command, leave it."""

    workdir: Path  # the release folder: the kernel's cwd, a fresh copy on a tmpfs inside
    limits: Limits = field(default_factory=Limits)
    readable: Sequence[Path] = ()  # more read-only paths (the data folder)
    files: Sequence[Path] = ()  # files only the kernel reads (hidden checks): copied in, at inside_path(file)
    uid: int | None = None
    stopped: str = ""  # why the watchdog stopped the sandbox ('' if it did not)
    stderr_head: str = ""  # the first bytes the kernel and bwrap wrote to stderr
    peak_memory: int = 0

    def __post_init__(self) -> None:
        self.workdir = Path(self.workdir).resolve()
        self._lock_fd: int | None = None
        self._root: Path | None = None
        self._pid: int | None = None
        self._sockets: Path | None = None
        self._in_ipc_namespace = False  # the watchdog's thread has joined the sandbox's IPC namespace
        self._watch: threading.Thread | None = None
        self._done = threading.Event()

    # ------------------------------------------------------------------ life cycle
    def __enter__(self) -> Sandbox:
        reason = unavailable_reason()
        if reason:
            raise SandboxError(f"cannot sandbox this submission: {reason}")
        if is_root():
            self.uid, self._lock_fd = allocate_uid()
        self._root = Path(tempfile.mkdtemp(prefix="hpclab-sandbox-"))
        try:
            self._prepare()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _prepare(self) -> None:
        """The seed the sandbox starts from: a copy of the release and of the home, owned by its uid.

        Inside, a start-up step copies both onto its tmpfs mounts (the
        working directory, /tmp): nothing a submission writes lands on the
        host's disk.
        """
        assert self._root is not None
        seed = self._root / "seed"
        home = seed / "home"
        home.mkdir(parents=True)
        # Matplotlib's font list, so every kernel does not build it again (seconds each).
        cache = Path(os.environ.get("MPLCONFIGDIR") or Path.home() / ".cache" / "matplotlib")
        if cache.is_dir():
            shutil.copytree(cache, home / ".cache" / "matplotlib", dirs_exist_ok=True)
        shutil.copytree(self.workdir, seed / "work", symlinks=True)
        # Copied, not bound: the instructor's file may be readable by its owner only.
        (seed / "files").mkdir()
        for path in self.files:
            shutil.copyfile(path, seed / "files" / Path(path).name)
        hostname = socket.gethostname()
        (self._root / "hosts").write_text(
            f"127.0.0.1\tlocalhost {hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        )
        os.chmod(self._root, 0o755)
        if self.uid is not None:
            chown_tree(seed, self.uid)

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        if self._watch is not None:
            self._watch.join(timeout=5)
        self._kill_everything()
        root, self._root = self._root, None
        try:
            if root is not None:
                remove_tree(root)
        finally:
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None

    @staticmethod
    def inside_path(path: Path) -> Path:
        """Where a file of :attr:`files` is inside the sandbox (read-only, owned by its uid)."""
        return Path(INSIDE_SEED) / "files" / Path(path).name

    # ------------------------------------------------------------------ the command
    def allow(self, folder: Path) -> None:
        """Let the sandbox's uid use ``folder`` (the kernel's socket folder, made by the grader)."""
        if self.uid is not None:
            chown_tree(folder, self.uid)

    def seal(self, folder: Path) -> None:
        """Give ``folder`` (the kernel's socket folder) back to root once the kernel is ready.

        The kernel needs to write there only while it starts (its connection
        file, its sockets); afterwards, a folder the sandbox's uid could write
        would be a place on the host's disk for it to fill, or to nest folders
        so deep that walking them fails. Top-down, so nothing new appears in a
        folder already sealed. Without root the sandbox's uid is the
        instructor's: nothing to give back.
        """
        if self.uid is None:
            return
        for path in tree(Path(folder)):
            try:
                os.chown(path, 0, 0, follow_symlinks=False)
                mode = os.lstat(path).st_mode
                if not stat.S_ISLNK(mode):  # readable (the kernel's own connection file), writable by root only
                    os.chmod(path, 0o755 if stat.S_ISDIR(mode) else (stat.S_IMODE(mode) & 0o755) | 0o444)
            except FileNotFoundError:  # the kernel removed it meanwhile
                continue

    def env(self, base: dict[str, str]) -> dict[str, str]:
        """The kernel's environment inside: ``base`` through the allowlist, then the sandbox's own.

        Only what :func:`~hpclab.grading.sandbox.environment.passed_env` lets
        through reaches a submission: the grader's tokens, keys and session
        sockets (``SSH_AUTH_SOCK``, the session bus) stay outside.
        """
        return sandboxed_env(base, memory=self.limits.memory, dedicated_uid=self.uid is not None)

    def command(self, argv: Sequence[str], sockets: Path) -> list[str]:
        """``argv`` (the kernel's command) run in this sandbox; ``sockets`` is bound in writable."""
        assert self._root is not None, "enter the sandbox first"
        self._sockets = Path(sockets)
        limits = self.limits
        mounts = file_system(
            seed_root=self._root,
            workdir=self.workdir,
            sockets=self._sockets,
            memory=limits.memory,
            readable=self.readable,
        )
        wrapped = [
            "prlimit",
            f"--nproc={limits.processes}",
            f"--cpu={limits.cpu_seconds}",
            "--core=0",
            f"--fsize={at_most_hard_limit('RLIMIT_FSIZE', limits.memory)}",
            f"--nofile={at_most_hard_limit('RLIMIT_NOFILE', limits.open_files)}",
            "--",
            bwrap_program() or "bwrap",
            *mounts.args(),
            "--unshare-pid",
            "--unshare-net",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--hostname",
            socket.gethostname(),
            "--die-with-parent",
            "--new-session",
            "--chdir",
            str(self.workdir),
        ]
        # Only the bound paths exist inside: ``tests/../.venv/bin/python`` would not resolve there.
        argv = [os.path.abspath(a) if a == sys.executable else a for a in argv]
        start = ["/bin/sh", "-c", _START, "hpclab-sandbox", *argv]
        if self.uid is None:
            # No user namespace of its own inside (a tmpfs there would be memory nobody counts).
            at = wrapped.index("--unshare-pid")
            wrapped[at:at] = ["--unshare-user", "--disable-userns"]
            # The process limit counts all of this user's processes: leave room for theirs.
            wrapped[1] = f"--nproc={limits.processes + processes_of(os.getuid())}"
            return [*wrapped, "--", *start]
        # bwrap keeps root's capabilities for its command: setpriv needs them to become
        # the dedicated uid, and drops every one of them (and the bounding set) on the way.
        return [
            *wrapped,
            "--",
            "setpriv",
            f"--reuid={self.uid}",
            f"--regid={self.uid}",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--no-new-privs",
            "--",
            *start,
        ]

    # ------------------------------------------------------------------ the watchdog
    def started(self, pid: int, stderr: IO[bytes] | None = None) -> None:
        """The sandbox's outermost process runs: watch its memory (and drain its stderr)."""
        self._pid = pid
        self._watch = threading.Thread(target=self._watchdog, name="hpclab-sandbox-watchdog", daemon=True)
        self._watch.start()
        if stderr is not None:
            threading.Thread(target=self._drain, args=(stderr,), daemon=True).start()

    def _drain(self, stream: IO[bytes]) -> None:
        head = b""
        try:
            for chunk in iter(lambda: stream.read(65536), b""):
                if len(head) < 16384:
                    head += chunk[: 16384 - len(head)]
        except (OSError, ValueError):
            pass
        self.stderr_head = head.decode(errors="replace")

    def processes(self) -> list[psutil.Process]:
        """Every live process of this sandbox (psutil objects), seen from outside."""
        if self._pid is None:
            return []
        try:
            top = psutil.Process(self._pid)
            return [top, *top.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def memory(self) -> int:
        """Bytes the sandbox holds: its processes' PSS plus its files in memory (see :meth:`usage`)."""
        return sum(self.usage().values())

    def usage(self) -> dict[str, int]:
        """What the sandbox holds, in bytes, by kind: what the watchdog counts against the limit.

        ``processes``: the sum of their PSS, which shares each page among the
        processes that map it, so forked children and the libraries every
        Python loads are counted once (a sum of RSS would count them in every
        process). ``files in memory``: what no process needs to map, so PSS
        misses it: memfd files its processes hold open or map, the used space of its
        tmpfs mounts (/tmp with home and scratch, /dev/shm, the working
        directory), System V segments (``shmget``; as root, where the
        watchdog can see them) and the socket folder on the host's disk. A
        page both mapped and in such a file counts twice: the limit errs on
        the machine's side.
        """
        procs = self.processes()
        held = held_files(procs, self._tmpfs_mounts(), self._sockets, self.limits.memory)
        return {"processes": pss(procs), "files in memory": held + self._sysv_shm(procs)}

    def _sysv_shm(self, procs: Sequence[psutil.Process]) -> int:
        """Bytes resident in the System V shared memory of the sandbox's IPC namespace (0 if unseen).

        /proc/sysvipc/shm lists the segments of the reader's own IPC
        namespace: the watchdog's thread joins the sandbox's (once, and
        only that thread; it uses no IPC itself).
        """
        if not self._in_ipc_namespace:
            inside = inside_pid([proc.pid for proc in procs])
            if inside is None or not join_ipc_namespace(inside):
                return 0
            self._in_ipc_namespace = True
        return sysv_shm_bytes()

    def _tmpfs_mounts(self) -> list[str]:
        return ["/tmp", "/dev/shm", str(self.workdir)]

    def _watchdog(self) -> None:
        floor = self.limits.host_floor if self.limits.host_floor is not None else host_floor()
        while not self._done.wait(self.limits.poll):
            try:
                why = self._over_limit() or host_short_of_memory(floor)
            except Exception as exc:  # what it cannot measure, it cannot allow: never die silently
                why = f"its memory could not be measured ({type(exc).__name__}: {str(exc)[:200]})"
            if why:
                self.stopped = f"stopped by the grader: {why}"
                self._kill_everything()
                return
            if not self.processes():
                return

    def _over_limit(self) -> str:
        """Why the sandbox holds too much ('' when it does not); keeps :attr:`peak_memory`."""
        usage = self.usage()
        used = sum(usage.values())
        self.peak_memory = max(self.peak_memory, used)
        if used <= self.limits.memory:
            return ""
        parts = ", ".join(f"{kind} {size / 2**30:.2f} GiB" for kind, size in usage.items())
        return (
            f"it held {used / 2**30:.2f} GiB of memory ({parts}), "
            f"over the limit of {self.limits.memory / 2**30:.2f} GiB"
        )

    def _kill_everything(self) -> None:
        """SIGKILL the sandbox: its outer processes, then whatever its uid still runs."""
        for proc in self.processes():
            try:
                proc.kill()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass
        if self.uid is not None:
            kill_processes_of(self.uid)
