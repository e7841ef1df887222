"""Run one learner submission's kernel in a sandbox: Linux namespaces by bubblewrap.

What a submission gets: its own PID, network (only ``lo``), IPC and UTS
namespaces, and a file system built from an allowlist, never the host's whole
``/``: the system folders (``/usr``, ``/etc``, ``/lib*``, ``/bin``, ``/sbin``,
``/opt``, and ``/sys`` for the machine's layout, without its network list),
Python itself and the virtual environment, the ``hpclab`` package
folder alone (from an editable install, ``src/hpclab``, never the course
folder around it), the course's data and the lessons' notebooks and job
scripts, all read-only. ``solutions/`` is an empty folder there (so
:func:`hpclab.data.course_root` still finds the course); other submissions,
the grader's working folder and its output files exist nowhere inside. The
writable places are memory: ``/tmp`` (with the home and scratch folders),
``/dev/shm`` and the working directory (a fresh copy of the release folder,
at the release folder's path) are tmpfs mounts of at most the memory limit
each; bubblewrap's own mounts (its root, ``/dev``, ``/sys/class/net``) are
made read-only once all is mounted (in a user namespace they would belong to
the submission). As root, everything in it runs under a dedicated unprivileged uid of
its own (so ``RLIMIT_NPROC`` counts that submission's processes only, and it
can signal nothing but itself), with no capabilities and ``no_new_privs``
(setuid programs give nothing). Without root, bubblewrap makes a user
namespace instead and the process limit counts the instructor's own processes
as well.

Limits, none of them cgroups (those belong to the machine): ``RLIMIT_NPROC``
(processes and threads), ``RLIMIT_CPU`` (CPU seconds per process),
``RLIMIT_CORE`` 0, ``RLIMIT_FSIZE`` (no file larger than the memory limit:
every file it can write is held in memory) and ``RLIMIT_NOFILE``, and a
watchdog thread that polls what the sandbox holds, as Dask's nanny does, and
stops it past the memory limit: the PSS of its whole process tree (shared
pages count once; ``RLIMIT_AS`` would break OpenBLAS, pyarrow and Dask's
threads), plus the memory PSS misses: memfd files its processes hold open or
only map (their whole size, each once), the used space of its tmpfs mounts,
System V shared memory in its IPC namespace, and the files in the kernel's socket folder (the one place it
writes on the host's disk, and only while the kernel starts: :meth:`Sandbox.seal`
gives it back to root before the first cell). What the watchdog cannot
measure stops the sandbox too: a watchdog that died would lift the limit.
Last, a guard for the machine: every sandbox stops when the host's
``MemAvailable`` falls under :func:`memory_floor` (or ``Limits.host_floor``).
It alone catches what cannot be attributed without cgroups: data queued in
Unix socket buffers, a tmpfs mounted in a nested user namespace (bubblewrap
0.8's ``--disable-userns`` needs ``--unshare-user``: used without root, but
root mode cannot, the dedicated uid must be a real one), kernel memory.

The kernel keeps its IPC transport: its sockets live in a folder bound into the
sandbox at the same path, so grader and kernel both reach them. Kernel
interrupts go as messages (the kernel signals its own process group inside the
sandbox). The kernel's environment is built from an allowlist
(:data:`PASSED_ENV`): the locale, the course's own ``HPCLAB_*`` variables
(the tests' leak-check tag among them, so a test still finds everything a
submission started), thread, MPI and Dask settings; nothing else of the
grader's environment (tokens, keys, session sockets) reaches a submission.
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
from collections.abc import Iterable, Iterator, Mapping, Sequence
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
INSIDE_SEED = "/run/hpclab"  # read-only inside: the release copy and the home the sandbox starts from
# Read-only, whole: the system. Symbolic links among them (merged /usr) stay links.
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt")
# The course folder's parts a kernel may read besides the release and the data: the lessons and
# job scripts (learners have both); solutions/ is bound as an empty folder.
COURSE_PARTS = ("notebooks", "jobscripts")
# Run inside, as the sandbox's uid, before the kernel: fill the tmpfs mounts from the seed.
_START = (
    f"mkdir -p {INSIDE_HOME} {INSIDE_SCRATCH} && cp -R {INSIDE_SEED}/home/. {INSIDE_HOME}/ "
    f'&& cp -R {INSIDE_SEED}/work/. . && exec "$@"'
)
OPEN_FILES = 4096  # RLIMIT_NOFILE: a kernel, a local Dask cluster and MPI ranks use a few hundred
FOLDER_SIZE = 1 << 20  # an empty read-only folder's tmpfs: room for the mount points bound into it

# The grader's variables a kernel keeps (by name, then by prefix); everything else is left out.
PASSED_ENV = frozenset(
    {
        "PATH",
        "LANG",
        "LANGUAGE",
        "TZ",
        "TERM",
        "USER",
        "LOGNAME",
        "VIRTUAL_ENV",
        "JUPYTER_PLATFORM_DIRS",
        "MPLBACKEND",
        "PYDEVD_DISABLE_FILE_VALIDATION",
        "PYTHONHASHSEED",
        "PYTHONUTF8",
        "PYTHONIOENCODING",
        "PYTHONWARNINGS",
        "PYTHONUNBUFFERED",
        "NO_COLOR",
        "OMPI_ALLOW_RUN_AS_ROOT",
        "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM",
    }
)
PASSED_ENV_PREFIXES = (
    "LC_",  # locale
    "OMP_",  # thread counts of OpenMP, OpenBLAS, MKL, numexpr, BLIS
    "OPENBLAS_",
    "MKL_",
    "NUMEXPR_",
    "BLIS_",
    "DASK_",  # Dask's configuration
    "MPIR_CVAR_",  # MPICH's, Open MPI's and PRRTE's settings
    "MPICH_",
    "HYDRA_",
    "OMPI_MCA_",
    "PRTE_MCA_",
    "PMIX_MCA_",
)
# Course variables that make no sense inside: the grader's own, and a scheduler the sandbox cannot reach.
GRADER_ONLY_ENV = frozenset({config.BWRAP, config.SANDBOX_UID_BASE, config.SCHEDULER_FILE})


class SandboxError(SetupError):
    """A sandbox could not be set up for a submission."""


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


def _depth(path: str) -> int:
    return len(Path(path).parts)


class _Mounts:
    """bwrap mount options that build the sandbox's file system from nothing: an allowlist.

    Each mount is kept with its place inside; :meth:`args` emits them parents
    first, and makes every folder on the way to a mount point that no mount
    provides as an empty folder others may enter (bwrap's own are 0700, which
    the sandbox's uid could not cross). Only the mounted paths exist inside:
    a course folder holding ``src/hpclab`` shows ``src/hpclab`` and nothing else.
    """

    def __init__(self) -> None:
        self._ops: list[tuple[str, list[str]]] = []  # (place inside, bwrap options)
        self._places: set[str] = set()
        self._read_only: set[str] = set()  # places bound read-only from the same host path
        self._bound: set[str] = set()  # places bound from the same host path: their folders exist
        self._frozen: list[str] = []  # bwrap's own mounts made read-only once everything is mounted

    def _add(self, place: str, args: list[str]) -> None:
        if place not in self._places:
            self._places.add(place)
            self._ops.append((place, args))

    def _under_read_only(self, place: str) -> bool:
        return any(Path(place).is_relative_to(top) for top in self._read_only)

    def system(self, path: str) -> None:
        """A system folder as it is on the host (a symbolic link stays a link)."""
        if os.path.islink(path):
            self._add(path, ["--symlink", os.readlink(path), path])
        elif os.path.isdir(path):
            self.read_only(Path(path))

    def read_only(self, path: Path, *, place: str | None = None) -> None:
        """``path`` readable inside, at ``place`` (default: the same path).

        A folder other users may not enter (a 0700 temporary folder holding
        the data) becomes an enterable empty folder with its contents bound in.
        """
        path = Path(os.path.abspath(path))
        place = place or str(path)
        if place == str(path) and self._under_read_only(place):
            return  # already there, inside a folder bound whole
        if path.is_dir() and not _others_can_enter(path):
            self.folder(place)
            for child in sorted(path.iterdir()):
                self._add(f"{place}/{child.name}", ["--ro-bind", str(child), f"{place}/{child.name}"])
            return
        self._add(place, ["--ro-bind", str(path), place])
        if place == str(path):
            self._read_only.add(place)
            self._bound.add(place)

    def writable(self, path: Path) -> None:
        """``path`` bound writable at the same place (the kernel's socket folder)."""
        self._add(str(path), ["--bind", str(path), str(path)])
        self._bound.add(str(path))

    def folder(self, place: str) -> None:
        """An empty folder others may enter and nobody inside may write.

        A small tmpfs of its own, made read-only once everything is mounted: a
        plain ``--dir`` lies in whatever holds it, and where that is the
        sandbox's ``/tmp`` (a course cloned under /tmp) a submission in a user
        namespace owns it and could write there.
        """
        self.tmpfs(place, FOLDER_SIZE, perms="0755")
        self.freeze(place)

    def tmpfs(self, place: str, size: int, *, perms: str = "1777") -> None:
        """A writable tmpfs of at most ``size`` bytes, shared like /tmp (1777) unless ``perms`` says otherwise."""
        self._add(place, ["--perms", perms, "--size", str(size), "--tmpfs", place])

    def special(self, place: str, *args: str) -> None:
        """A bwrap mount of its own kind (``--dev``, ``--proc``) at ``place``."""
        self._add(place, [*args, place])

    def freeze(self, place: str) -> None:
        """Make the mount at ``place`` read-only after all others (not the mounts below it).

        bwrap's root, ``--dev``, plain ``--tmpfs`` and :meth:`folder` mounts are writable, and
        in a user namespace they belong to the submission: unlimited memory
        nobody counts, and files planted where the course's folders appear.
        """
        if place not in self._frozen:
            self._frozen.append(place)

    def args(self) -> list[str]:
        out: list[str] = []
        made: set[str] = set()
        for place, args in sorted(self._ops, key=lambda op: _depth(op[0])):
            for parent in reversed(Path(place).parents[:-1]):  # not "/"
                name = str(parent)
                if name in made or name in self._places or self._inside_bound(name):
                    continue
                made.add(name)
                out += ["--perms", "0755", "--dir", name]
            made.add(place)
            out += args
        for place in self._frozen:
            out += ["--remount-ro", place]
        return out

    def _inside_bound(self, name: str) -> bool:
        """True when ``name`` lies in a folder bound from the host: it exists there (or nowhere)."""
        return any(Path(name).is_relative_to(top) for top in self._bound)


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


def _package_dir() -> Path:
    """The ``hpclab`` package folder: from an editable install, ``src/hpclab`` in the course folder."""
    import hpclab

    return Path(hpclab.__file__).resolve().parent


def _site_dirs() -> list[Path]:
    """Where this Python finds packages: site-packages of the environment and of the base Python."""
    import site
    import sysconfig

    found = [*site.getsitepackages(), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    return [Path(p) for p in dict.fromkeys(found) if os.path.isdir(p)]


def _pth_folders(site_dirs: Iterable[Path]) -> list[Path]:
    """Folders that ``.pth`` files put on the kernel's ``sys.path`` (other editable installs)."""
    folders = []
    for site_dir in site_dirs:
        for pth in sorted(site_dir.glob("*.pth")):
            try:
                lines = pth.read_text(errors="replace").splitlines()
            except OSError:
                continue
            for line in lines:
                line = line.strip()
                if line and not line.startswith(("#", "import ", "import\t")):
                    folder = (site_dir / line).resolve()
                    if folder.is_dir():
                        folders.append(folder)
    return folders


def _needed_paths() -> list[Path]:
    """What the kernel must read besides the system: this Python, its packages and ``hpclab``.

    Never the grader's working folder or anything else on its ``sys.path``
    (pytest's, ``python -m``'s): the kernel builds its own. A ``.pth`` folder
    holding ``hpclab`` (``src/`` of the editable install, or a course folder
    installed whole) is not bound: only the package folder is, so the
    solutions and submissions beside it stay out.
    """
    package = _package_dir()
    paths = [
        Path(sys.prefix),
        Path(sys.base_prefix),
        Path(os.path.realpath(sys.executable)).parent.parent,
        *_site_dirs(),
        package,
    ]
    for folder in _pth_folders(_site_dirs()):
        if not package.is_relative_to(folder) and not (folder / "solutions").is_dir():
            paths.append(folder)
    return list(dict.fromkeys(Path(os.path.abspath(p)) for p in paths))


def _course_folder(release: Path) -> Path | None:
    """The course folder holding the release folder (``solutions/`` beside it), or None."""
    from hpclab.data import course_root

    root = course_root(release)
    return root if (root / "solutions").is_dir() and release.is_relative_to(root) else None


def passed_env(base: Mapping[str, str]) -> dict[str, str]:
    """The variables of ``base`` a sandboxed kernel keeps: an allowlist, never a denylist.

    :data:`PASSED_ENV` by name, :data:`PASSED_ENV_PREFIXES` by prefix (locale,
    thread counts, Dask, MPI), and the course's own ``HPCLAB_*`` variables of
    :data:`hpclab.config.SETTINGS` but the grader's (:data:`GRADER_ONLY_ENV`).
    A course that needs one more variable inside adds it here.
    """
    course = {s.name for s in config.SETTINGS} - GRADER_ONLY_ENV
    return {
        name: value
        for name, value in base.items()
        if name in PASSED_ENV or name in course or name.startswith(PASSED_ENV_PREFIXES)
    }


@dataclass
class Sandbox:
    """The sandbox of one submission: enter it (``with``), wrap the kernel's command, leave it."""

    workdir: Path  # the release folder: the kernel's cwd, a fresh copy on a tmpfs inside
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
        self._sockets: Path | None = None
        self._in_ipc_namespace = False  # the watchdog's thread has joined the sandbox's IPC namespace
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
        hostname = socket.gethostname()
        (self._root / "hosts").write_text(
            f"127.0.0.1\tlocalhost {hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        )
        os.chmod(self._root, 0o755)
        if self.uid is not None:
            _chown_tree(seed, self.uid)

    def __exit__(self, *exc) -> None:
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

    # ------------------------------------------------------------------ the command
    def allow(self, folder: Path) -> None:
        """Let the sandbox's uid use ``folder`` (the kernel's socket folder, made by the grader)."""
        if self.uid is not None:
            _chown_tree(folder, self.uid)

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
        for path in _tree(Path(folder)):
            try:
                os.chown(path, 0, 0, follow_symlinks=False)
                mode = os.lstat(path).st_mode
                if not stat.S_ISLNK(mode):  # readable (the kernel's own connection file), writable by root only
                    os.chmod(path, 0o755 if stat.S_ISDIR(mode) else (stat.S_IMODE(mode) & 0o755) | 0o444)
            except FileNotFoundError:  # the kernel removed it meanwhile
                continue

    def env(self, base: dict[str, str]) -> dict[str, str]:
        """The kernel's environment inside: ``base`` through the allowlist, then the sandbox's own.

        Only what :func:`passed_env` lets through reaches a submission: the
        grader's tokens, keys and session sockets (``SSH_AUTH_SOCK``, the
        session bus) stay outside.
        """
        from hpclab.data import DATA_ENV, SCRATCH_ENV, data_root

        env = passed_env(base)
        if "PATH" in env:  # only the bound paths exist inside: no detours through folders left out
            env["PATH"] = os.pathsep.join(os.path.abspath(p) for p in env["PATH"].split(os.pathsep) if p)
        env.update(
            {
                "HOME": INSIDE_HOME,
                "TMPDIR": "/tmp",
                SCRATCH_ENV: INSIDE_SCRATCH,
                DATA_ENV: str(data_root()),  # where it is bound, whatever the kernel's cwd
                "XDG_CACHE_HOME": f"{INSIDE_HOME}/.cache",
                "XDG_CONFIG_HOME": f"{INSIDE_HOME}/.config",
                "MPLCONFIGDIR": f"{INSIDE_HOME}/.cache/matplotlib",
                "JUPYTER_RUNTIME_DIR": f"{INSIDE_HOME}/runtime",
                "PYTHONDONTWRITEBYTECODE": "1",
                MEMORY_LIMIT_ENV: str(self.limits.memory),
                SANDBOXED_ENV: "1",
            }
        )
        if self.uid is not None:
            env["USER"] = env["LOGNAME"] = "learner"
        return env

    def command(self, argv: Sequence[str], sockets: Path) -> list[str]:
        """``argv`` (the kernel's command) run in this sandbox; ``sockets`` is bound in writable."""
        assert self._root is not None, "enter the sandbox first"
        self._sockets = Path(sockets)
        limits = self.limits
        wrapped = [
            "prlimit",
            f"--nproc={limits.processes}",
            f"--cpu={limits.cpu_seconds}",
            "--core=0",
            f"--fsize={_at_most_hard_limit('RLIMIT_FSIZE', limits.memory)}",
            f"--nofile={_at_most_hard_limit('RLIMIT_NOFILE', limits.open_files)}",
            "--",
            bwrap_program() or "bwrap",
            *self._mounts().args(),
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
            wrapped[1] = f"--nproc={limits.processes + _processes_of(os.getuid())}"
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

    def _mounts(self) -> _Mounts:
        """The sandbox's file system: the allowlist of :mod:`hpclab.grading.sandbox`'s docstring."""
        assert self._root is not None and self._sockets is not None
        size = self.limits.memory
        mounts = _Mounts()
        for path in SYSTEM_PATHS:
            mounts.system(path)
        mounts.read_only(self._root / "hosts", place="/etc/hosts")
        mounts.special("/dev", "--dev")
        mounts.special("/proc", "--proc")
        mounts.read_only(Path("/sys"))  # hwloc (MPI) and BLAS read the machine's layout there
        # ... but its network list would name the host's interfaces, not the sandbox's.
        mounts.special("/sys/class/net", "--tmpfs")
        for place in ("/", "/dev", "/sys/class/net"):  # bwrap's own: read-only (/dev/shm is a mount of its own)
            mounts.freeze(place)
        mounts.tmpfs("/tmp", size)  # home and scratch too
        mounts.tmpfs("/dev/shm", size)
        mounts.tmpfs(str(self.workdir), size)
        mounts.read_only(self._root / "seed", place=INSIDE_SEED)
        for path in _needed_paths():
            mounts.read_only(path)
        course = _course_folder(self.workdir)
        if course is not None:
            mounts.folder(str(course / "solutions"))  # empty: course_root() finds the course by it
            for part in COURSE_PARTS:
                if (course / part).is_dir():
                    mounts.read_only(course / part)
        for path in self.readable:
            if Path(path).exists():
                mounts.read_only(Path(path).resolve())
        mounts.writable(self._sockets)
        return mounts

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
        held = _held_files(procs, self._tmpfs_mounts(), self._sockets, self.limits.memory)
        return {"processes": _pss(procs), "files in memory": held + self._sysv_shm(procs)}

    def _sysv_shm(self, procs) -> int:
        """Bytes resident in the System V shared memory of the sandbox's IPC namespace (0 if unseen).

        /proc/sysvipc/shm lists the segments of the reader's own IPC
        namespace: the watchdog's thread joins the sandbox's (once, and
        only that thread; it uses no IPC itself).
        """
        if not self._in_ipc_namespace:
            inside = _inside_pid([proc.pid for proc in procs])
            if inside is None or not _join_ipc_namespace(inside):
                return 0
            self._in_ipc_namespace = True
        return _sysv_shm_bytes()

    def _tmpfs_mounts(self) -> list[str]:
        return ["/tmp", "/dev/shm", str(self.workdir)]

    def _watchdog(self) -> None:
        floor = self.limits.host_floor if self.limits.host_floor is not None else host_floor()
        while not self._done.wait(self.limits.poll):
            try:
                why = self._over_limit() or _host_short_of_memory(floor)
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


def _host_short_of_memory(floor: int) -> str:
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


def _at_most_hard_limit(name: str, wanted: int) -> int:
    """``wanted``, or less when this process's hard limit ``name`` is lower: only root may raise one."""
    import resource

    hard = resource.getrlimit(getattr(resource, name))[1]
    return wanted if _is_root() or hard == resource.RLIM_INFINITY else min(wanted, hard)


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


def _pss(procs) -> int:
    """The sum of the PSS of ``procs`` (RSS where PSS cannot be read)."""
    import psutil

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


def _held_files(procs, tmpfs_mounts: Sequence[str], sockets: Path | None, limit: int) -> int:
    """Bytes of memory files ``procs`` hold open, their tmpfs mounts' use, and ``sockets``' files.

    ``limit`` bounds the walk through ``sockets`` (past it, the sum is over anyway).
    """
    pids = [proc.pid for proc in procs]
    inside = _inside_pid(pids)
    mounts = 0 if inside is None else sum(_used_space(f"/proc/{inside}/root{m}") for m in tmpfs_mounts)
    return _memfd_bytes(pids) + mounts + (_folder_bytes(sockets, limit) if sockets is not None else 0)


def _inside_pid(pids: Iterable[int]) -> int | None:
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
    sizes = {}
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


def _tree(top: Path) -> Iterator[str]:
    """``top`` and every path under it, parents first, without recursion (any depth).

    Fails (``OSError``) on what it cannot read, a path longer than the system
    allows among them: a caller counting memory must not skip what it cannot see.
    """
    pending = [str(top)]
    while pending:
        path = pending.pop()
        yield path
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            continue
        if stat.S_ISDIR(info.st_mode):
            try:
                names = os.listdir(path)
            except FileNotFoundError:
                continue
            pending.extend(os.path.join(path, name) for name in names)


def _folder_bytes(top: Path, limit: int) -> int:
    """Bytes the files under ``top`` take on disk, each entry at least a block (empty files too).

    Stops counting past ``limit``: a folder filled with millions of files is
    over any limit long before it is walked through. Raises what the walk
    cannot read (see :func:`_tree`).
    """
    total = 0
    for path in _tree(top):
        if path == str(top):
            continue
        try:
            total += max(os.lstat(path).st_blocks * 512, 4096)
        except FileNotFoundError:
            continue
        if total > limit:
            return total
    return total


def remove_tree(top: Path) -> None:
    """Remove ``top`` and all under it, however deep (``shutil.rmtree`` recurses and gives up).

    A sandbox may have nested folders deeper than Python's recursion limit or
    longer than a path may be: ``rm -rf`` (coreutils) walks them by file
    descriptor. Raises :class:`SandboxError` when ``top`` is still there.
    """
    top = Path(top)
    try:
        shutil.rmtree(top)
    except FileNotFoundError:
        return
    except (OSError, RecursionError):
        subprocess.run(["rm", "-rf", "--one-file-system", "--", str(top)], capture_output=True, check=False)
    if os.path.lexists(top):
        raise SandboxError(f"could not remove {top}: remove it by hand (`rm -rf {top}`)")


CLONE_NEWIPC = 0x08000000


def _join_ipc_namespace(pid: int) -> bool:
    """Move the calling thread (only it) into the IPC namespace of ``pid``; False where that is refused."""
    import ctypes

    try:
        fd = os.open(f"/proc/{pid}/ns/ipc", os.O_RDONLY)
    except OSError:
        return False
    try:
        return ctypes.CDLL(None, use_errno=True).setns(fd, CLONE_NEWIPC) == 0
    finally:
        os.close(fd)


def _sysv_shm_bytes(table: str = "/proc/sysvipc/shm") -> int:
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
