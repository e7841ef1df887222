"""Run one learner submission's kernel in a sandbox: Linux namespaces by bubblewrap.

What a submission gets: its own PID, network (only ``lo``), IPC and UTS
namespaces; the whole file system read-only (the course tree and the installed
packages included), with a private writable ``/tmp``, home, scratch folder and
a writable copy of the release folder as its working directory; the course's
data read-only. As root, everything in it runs under a dedicated unprivileged
uid of its own (so ``RLIMIT_NPROC`` counts that submission's processes only,
and it can signal nothing but itself), with no capabilities and
``no_new_privs`` (setuid programs give nothing). Without root, bubblewrap
makes a user namespace instead and the process limit counts the instructor's
own processes as well.

Limits, none of them cgroups (those belong to the machine): ``RLIMIT_NPROC``
(processes and threads), ``RLIMIT_CPU`` (CPU seconds per process),
``RLIMIT_CORE`` 0, and a watchdog thread that polls the memory (RSS) of the
sandbox's whole process tree, as Dask's nanny does, and stops the sandbox past
the limit (PSS, so shared pages count once; ``RLIMIT_AS`` would break OpenBLAS, pyarrow and Dask's threads).

The kernel keeps its IPC transport: its sockets live in a folder bound into the
sandbox at the same path, so grader and kernel both reach them. Kernel
interrupts go as messages (the kernel signals its own process group inside the
sandbox). Processes keep the grader's environment, so a test's leak check
still finds everything a submission started.
"""

from __future__ import annotations

import fcntl
import functools
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hpclab import config
from hpclab.errors import SetupError

BWRAP_ENV = config.BWRAP  # the bubblewrap program (default: bwrap on PATH)
UID_BASE_ENV = config.SANDBOX_UID_BASE  # first of the dedicated uids, as root (default below)
DEFAULT_UID_BASE = 2_913_000_000  # far from login users, system users and /etc/subuid ranges
UID_COUNT = 4096
LOCK_DIR = Path("/run/hpclab-sandbox")  # one flock per dedicated uid while it is in use
MEMORY_LIMIT_ENV = config.MEMORY_LIMIT  # set inside the sandbox: its memory limit in bytes
SANDBOXED_ENV = config.SANDBOXED  # set inside the sandbox: "1"
INSIDE_SCRATCH = "/tmp/hpclab-scratch"
INSIDE_HOME = "/tmp/hpclab-home"


class SandboxError(SetupError):
    """A sandbox could not be set up for a submission."""


@dataclass(frozen=True)
class Limits:
    """What one submission may use."""

    memory: int = 4 * 1024**3  # bytes of RSS, summed over the submission's processes
    processes: int = 512  # processes and threads of the submission's uid (RLIMIT_NPROC)
    cpu_seconds: int = 900  # CPU seconds per process (RLIMIT_CPU)
    poll: float = 0.25  # seconds between two looks of the memory watchdog


def bwrap_program() -> str | None:
    return os.environ.get(BWRAP_ENV) or shutil.which("bwrap")


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


@functools.cache
def _probe(program: str, root: bool) -> str:
    """'' when a trivial sandbox starts here, else why not (bwrap's own words)."""
    argv = [
        program,
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-uts",
        "--die-with-parent",
    ]
    if not root:
        argv.append("--unshare-user")
    argv += ["--", "true"]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{program} did not run ({exc})"
    if proc.returncode != 0:
        return f"{program} could not make namespaces: {proc.stderr.strip() or f'exit status {proc.returncode}'}"
    return ""


def unavailable_reason() -> str:
    """Why no sandbox can be made on this machine ('' when one can)."""
    if not sys.platform.startswith("linux"):
        return f"sandboxes need Linux namespaces, and this is {sys.platform}"
    program = bwrap_program()
    if not program:
        return (
            "bubblewrap is not installed (Debian/Ubuntu: `sudo apt-get install bubblewrap`; "
            f"or set {BWRAP_ENV} to its path)"
        )
    if _is_root():
        for tool in ("setpriv", "prlimit"):
            if not shutil.which(tool):
                return f"{tool} (util-linux) is not installed"
    return _probe(program, _is_root())


def _others_can_enter(path: Path) -> bool:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    if stat.S_ISDIR(mode):
        return bool(mode & stat.S_IXOTH and mode & stat.S_IROTH)
    return bool(mode & stat.S_IROTH)


class _Mounts:
    """bwrap mount options, in order, that make paths reachable for an unprivileged uid.

    The whole file system is bound read-only first. A folder on the way to a
    needed path that other users may not enter (``/root`` holding pyenv, a
    700 temporary folder holding the data) is replaced by an empty tmpfs, and
    only the needed path is bound into it: the rest stays hidden.
    """

    def __init__(self, private: Iterable[str]):
        self.args: list[str] = []
        self._done: set[tuple[str, str]] = set()
        self.masked: set[Path] = {Path(p) for p in private}

    def _emit(self, *args: str) -> None:
        key = (args[0], args[-1])
        if key not in self._done:
            self._done.add(key)
            self.args += args

    def _mask(self, folder: Path) -> None:
        self._emit("--perms", "0755", "--tmpfs", str(folder))
        self.masked.add(folder)

    def expose(self, path: Path, *, source: Path | None = None, writable: bool = False) -> None:
        path = Path(os.path.abspath(path))
        chain = [Path(*path.parts[: i + 1]) for i in range(1, len(path.parts))]
        for folder in chain[:-1]:
            if folder in self.masked:
                continue
            if not _others_can_enter(folder):
                self._mask(folder)
            elif folder.parent in self.masked:
                self._emit("--ro-bind", str(folder), str(folder))
        bind = "--bind" if writable else "--ro-bind"
        if source is not None:
            self._emit(bind, str(source), str(path))
        elif writable or (_others_can_enter(path) and path.parent in self.masked):
            self._emit(bind, str(path), str(path))
        elif _others_can_enter(path):
            pass  # already there, read-only, with the whole file system
        elif path.is_dir():  # e.g. a 700 data folder: bind what is inside it
            self._mask(path)
            for child in sorted(path.iterdir()):
                self._emit(bind, str(child), str(child))


def _allocate_uid() -> tuple[int, int]:
    """A dedicated uid nobody uses, and the fd of the lock that holds it."""
    LOCK_DIR.mkdir(mode=0o700, exist_ok=True)
    base = int(os.environ.get(UID_BASE_ENV) or DEFAULT_UID_BASE)
    import psutil

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
    raise SandboxError(f"all {UID_COUNT} sandbox uids from {base} are in use; set {UID_BASE_ENV} to another range")


def _chown_tree(top: Path, uid: int) -> None:
    os.chown(top, uid, uid)
    for folder, dirs, files in os.walk(top):
        for name in dirs + files:
            os.chown(os.path.join(folder, name), uid, uid, follow_symlinks=False)


def _needed_paths() -> list[Path]:
    """Where this Python, its packages and hpclab live: the kernel must read them."""
    import hpclab

    paths = [
        Path(sys.prefix),
        Path(sys.base_prefix),
        Path(os.path.realpath(sys.executable)).parent.parent,
        Path(hpclab.__file__).resolve().parent,
    ]
    # Not the grader's working folder (``python -m`` puts it on sys.path): other learners'
    # submissions and the scores may sit there, and the kernel needs nothing from it.
    here = Path.cwd().resolve()
    paths += [Path(p) for p in sys.path if p and os.path.isdir(p) and Path(p).resolve() != here]
    seen, unique = set(), []
    for p in paths:
        p = Path(os.path.abspath(p))
        if p not in seen:
            seen.add(p)
            unique.append(p)
    return unique


@dataclass
class Sandbox:
    """The sandbox of one submission: enter it (``with``), wrap the kernel's command, leave it."""

    workdir: Path  # the release folder: the kernel's cwd, a writable private copy inside
    limits: Limits = field(default_factory=Limits)
    readable: Sequence[Path] = ()  # more read-only paths (the data folder)
    uid: int | None = None
    stopped: str = ""  # why the watchdog stopped the sandbox ('' if it did not)
    stderr_head: str = ""  # the first bytes the kernel and bwrap wrote to stderr
    peak_memory: int = 0

    def __post_init__(self) -> None:
        self.workdir = Path(self.workdir).resolve()
        self._lock_fd: int | None = None
        self._root: Path | None = None
        self._pid: int | None = None
        self._watch: threading.Thread | None = None
        self._done = threading.Event()

    # ------------------------------------------------------------------ life cycle
    def __enter__(self) -> Sandbox:
        reason = unavailable_reason()
        if reason:
            raise SandboxError(f"cannot sandbox this submission: {reason}")
        if _is_root():
            self.uid, self._lock_fd = _allocate_uid()
        self._root = Path(tempfile.mkdtemp(prefix="hpclab-sandbox-"))
        try:
            self._prepare()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _prepare(self) -> None:
        assert self._root is not None
        tmp = self._root / "tmp"
        (tmp / Path(INSIDE_SCRATCH).name).mkdir(parents=True)
        home = tmp / Path(INSIDE_HOME).name
        home.mkdir()
        # Matplotlib's font list, so every kernel does not build it again (seconds each).
        cache = Path(os.environ.get("MPLCONFIGDIR") or Path.home() / ".cache" / "matplotlib")
        if cache.is_dir():
            shutil.copytree(cache, home / ".cache" / "matplotlib", dirs_exist_ok=True)
        shutil.copytree(self.workdir, self._root / "work", symlinks=True)
        hostname = socket.gethostname()
        (self._root / "hosts").write_text(
            f"127.0.0.1\tlocalhost {hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        )
        os.chmod(self._root, 0o755)
        if self.uid is not None:
            _chown_tree(tmp, self.uid)
            _chown_tree(self._root / "work", self.uid)
        os.chmod(tmp, 0o700)  # only the sandbox itself writes its /tmp

    def __exit__(self, *exc) -> None:
        self._done.set()
        if self._watch is not None:
            self._watch.join(timeout=5)
        self._kill_everything()
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # ------------------------------------------------------------------ the command
    def allow(self, folder: Path) -> None:
        """Let the sandbox's uid use ``folder`` (the kernel's socket folder, made by the grader)."""
        if self.uid is not None:
            _chown_tree(folder, self.uid)

    def env(self, base: dict[str, str]) -> dict[str, str]:
        """The kernel's environment inside: private home, tmp and scratch."""
        from hpclab.data import SCRATCH_ENV

        env = dict(base)
        env.update(
            {
                "HOME": INSIDE_HOME,
                "TMPDIR": "/tmp",
                SCRATCH_ENV: INSIDE_SCRATCH,
                "XDG_CACHE_HOME": f"{INSIDE_HOME}/.cache",
                "XDG_CONFIG_HOME": f"{INSIDE_HOME}/.config",
                "MPLCONFIGDIR": f"{INSIDE_HOME}/.cache/matplotlib",
                "JUPYTER_RUNTIME_DIR": f"{INSIDE_HOME}/runtime",
                "PYTHONDONTWRITEBYTECODE": "1",
                MEMORY_LIMIT_ENV: str(self.limits.memory),
                SANDBOXED_ENV: "1",
            }
        )
        # Ways out to the grader's own services: the session bus (systemd-run --user runs code
        # outside), the ssh agent, the runtime folder of the grader's user. The network namespace
        # removes abstract sockets only; a socket file's path is enough to reach these.
        for name in (
            "IPYTHONDIR",
            "JUPYTER_CONFIG_DIR",
            "JUPYTER_DATA_DIR",
            "DASK_CONFIG",
            "DBUS_SESSION_BUS_ADDRESS",
            "SSH_AUTH_SOCK",
            "XDG_RUNTIME_DIR",
            "DISPLAY",
            "WAYLAND_DISPLAY",
        ):
            env.pop(name, None)
        if self.uid is not None:
            env["USER"] = env["LOGNAME"] = "learner"
        return env

    def command(self, argv: Sequence[str], sockets: Path) -> list[str]:
        """``argv`` (the kernel's command) run in this sandbox; ``sockets`` is bound in writable."""
        assert self._root is not None, "enter the sandbox first"
        limits = self.limits
        mounts = _Mounts(private=["/tmp", "/dev", "/proc"])
        for path in _needed_paths():
            mounts.expose(path)
        for path in self.readable:
            if Path(path).exists():
                mounts.expose(Path(path).resolve())
        mounts.expose(Path(sockets), writable=True)
        mounts.expose(self.workdir, source=self._root / "work", writable=True)
        hostname = socket.gethostname()
        wrapped = [
            "prlimit",
            f"--nproc={limits.processes}",
            f"--cpu={limits.cpu_seconds}",
            "--core=0",
            "--",
            bwrap_program() or "bwrap",
            "--ro-bind",
            "/",
            "/",
            "--dev",
            "/dev",
            "--perms",
            "1777",
            "--size",
            str(limits.memory),
            "--tmpfs",
            "/dev/shm",
            "--proc",
            "/proc",
            # /sys is the host's: its network list would name the host's interfaces, not the sandbox's.
            "--tmpfs",
            "/sys/class/net",
            "--bind",
            str(self._root / "tmp"),
            "/tmp",
            "--ro-bind",
            str(self._root / "hosts"),
            "/etc/hosts",
            *mounts.args,
            "--unshare-pid",
            "--unshare-net",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--hostname",
            hostname,
            "--die-with-parent",
            "--new-session",
            "--chdir",
            str(self.workdir),
        ]
        if self.uid is None:
            wrapped.insert(wrapped.index("--unshare-pid"), "--unshare-user")
            # The process limit counts all of this user's processes: leave room for theirs.
            wrapped[1] = f"--nproc={limits.processes + _processes_of(os.getuid())}"
            wrapped += ["--", *argv]
        else:
            # bwrap keeps root's capabilities for its command: setpriv needs them to become
            # the dedicated uid, and drops every one of them (and the bounding set) on the way.
            wrapped += [
                "--",
                "setpriv",
                f"--reuid={self.uid}",
                f"--regid={self.uid}",
                "--clear-groups",
                "--inh-caps=-all",
                "--bounding-set=-all",
                "--no-new-privs",
                "--",
                *argv,
            ]
        return wrapped

    # ------------------------------------------------------------------ the watchdog
    def started(self, pid: int, stderr=None) -> None:
        """The sandbox's outermost process runs: watch its memory (and drain its stderr)."""
        self._pid = pid
        self._watch = threading.Thread(target=self._watchdog, name="hpclab-sandbox-watchdog", daemon=True)
        self._watch.start()
        if stderr is not None:
            threading.Thread(target=self._drain, args=(stderr,), daemon=True).start()

    def _drain(self, stream) -> None:
        head = b""
        try:
            for chunk in iter(lambda: stream.read(65536), b""):
                if len(head) < 16384:
                    head += chunk[: 16384 - len(head)]
        except (OSError, ValueError):
            pass
        self.stderr_head = head.decode(errors="replace")

    def processes(self):
        """Every live process of this sandbox (psutil objects), seen from outside."""
        import psutil

        if self._pid is None:
            return []
        try:
            top = psutil.Process(self._pid)
            return [top, *top.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def memory(self) -> int:
        """Bytes the sandbox's processes use together: the sum of their PSS.

        PSS shares each page among the processes that map it, so forked
        children and the libraries every Python loads are counted once; a sum
        of RSS would count them in every process.
        """
        import psutil

        total = 0
        for proc in self.processes():
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

    def _watchdog(self) -> None:
        while not self._done.wait(self.limits.poll):
            used = self.memory()
            self.peak_memory = max(self.peak_memory, used)
            if used > self.limits.memory:
                self.stopped = (
                    f"stopped by the grader: its processes used {used / 2**30:.2f} GiB of memory, "
                    f"over the limit of {self.limits.memory / 2**30:.2f} GiB"
                )
                self._kill_everything()
                return
            if not self.processes():
                return

    def _kill_everything(self) -> None:
        """SIGKILL the sandbox: its outer processes, then whatever its uid still runs."""
        import psutil

        for proc in self.processes():
            try:
                proc.kill()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass
        if self.uid is None:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            left = [
                p
                for p in psutil.process_iter(["uids"])
                if p.info["uids"] is not None and p.info["uids"].real == self.uid
            ]
            if not left:
                return
            for proc in left:
                try:
                    proc.kill()
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    pass
            time.sleep(0.1)


def _processes_of(uid: int) -> int:
    """Processes and threads ``uid`` runs now (what RLIMIT_NPROC counts)."""
    import psutil

    count = 0
    for proc in psutil.process_iter(["uids", "num_threads"]):
        try:
            if proc.info["uids"].real == uid:
                count += proc.info["num_threads"] or 1
        except (TypeError, AttributeError):
            continue
    return count
