"""Run MPI programs from Python or a notebook, safely.

A notebook kernel is a single process, so MPI code has to run somewhere else:
:func:`run` writes the code to a file and starts ``mpiexec -n N python -m
mpi4py FILE``. ``-m mpi4py`` matters: an uncaught exception on one rank then
aborts the whole job instead of leaving the other ranks waiting forever. A
timeout ends a deadlocked job, and each rank's output is collected separately
so it can be shown in rank order rather than interleaved.

In a notebook: ``%load_ext hpclab.mpi`` and then a cell starting with
``%%mpirun -n 4``.

This module also says *which* MPI is at hand (:func:`mpi_library`,
:func:`family_of_vendor`, :func:`identify_launcher`, :func:`compare_launcher`):
a launcher and a library of different MPIs do not speak the same start-up
protocol (PMI), and every rank then runs alone as "rank 0 of 1". ``hpclab
doctor`` and the MPI-capable Dask workers (:mod:`hpclab.mpiworker`) both ask
here. Nothing in this module starts MPI in the calling process: the library is
looked at with ``mpi4py.rc.initialize = False``.
"""

from __future__ import annotations

import argparse
import os
import pickle
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from hpclab import config, processes
from hpclab.errors import HpclabError, UsageError

# Runs on every rank: send this rank's stdout/stderr to its own files, run the
# learner's program as __main__, then save the variables the caller asked for.
# (A program of its own, in each rank's interpreter: it imports hpclab.mpi like any other.)
_BOOTSTRAP = r"""
import os, pickle, runpy, sys
from hpclab.mpi import launcher_view

def _rank():
    rank = launcher_view(os.environ).get("rank")
    if rank is None:
        from mpi4py import MPI
        rank = MPI.COMM_WORLD.Get_rank()
    return rank

_outdir, _program, _collect = sys.argv[1], sys.argv[2], sys.argv[3]
_r = _rank()
for _fd, _name in ((1, "stdout"), (2, "stderr")):
    _f = os.open(os.path.join(_outdir, f"rank{_r}.{_name}"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(_f, _fd)
    os.close(_f)
sys.stdout.reconfigure(line_buffering=True)
sys.stderr.reconfigure(line_buffering=True)
sys.argv = [_program] + sys.argv[4:]
try:
    _globals = runpy.run_path(_program, run_name="__main__")
except SystemExit:
    raise
except BaseException:
    # Show the traceback from the learner's own code down, then abort every
    # rank (what `python -m mpi4py` does) so nobody waits for this one.
    import traceback
    _tb = traceback.TracebackException(*sys.exc_info())
    _starts = [i for i, _fr in enumerate(_tb.stack) if _fr.filename == _program]
    if _starts:
        _tb.stack = traceback.StackSummary.from_list(_tb.stack[_starts[0]:])
    sys.stderr.write("".join(_tb.format()))
    sys.stderr.flush()
    from mpi4py import MPI
    MPI.COMM_WORLD.Abort(1)
if _collect:
    _missing = "<hpclab: not defined>"
    _values = {}
    for _n in _collect.split(","):
        try:
            _values[_n] = pickle.loads(pickle.dumps(_globals.get(_n, _missing)))
        except Exception as _exc:
            _values[_n] = f"<hpclab: cannot pickle {type(_exc).__name__}>"
    # Write then rename: a rank killed mid-write (another rank aborted) leaves no half file.
    _partial = os.path.join(_outdir, f"rank{_r}.values.partial")
    with open(_partial, "wb") as _f:
        pickle.dump(_values, _f)
    os.replace(_partial, os.path.join(_outdir, f"rank{_r}.values"))
"""

NOT_DEFINED = "<hpclab: not defined>"


class MPIError(HpclabError, RuntimeError):
    """An MPI job exited with an error.

    Attributes
    ----------
    result : MPIResult
        Every rank's output; ``str(error)`` already shows each rank's stderr.
    """

    def __init__(self, message: str, result: MPIResult):
        super().__init__(message)
        self.result = result


class MPITimeout(MPIError):
    """An MPI job did not finish in time (often a deadlock) and was killed."""


@dataclass
class MPIResult:
    """What one ``mpiexec`` run produced, per rank.

    Attributes
    ----------
    n : int
        Number of ranks.
    returncode : int
        The launcher's exit code (0: every rank succeeded).
    elapsed : float
        Wall-clock seconds, launcher start to end.
    stdout, stderr : dict of int to str
        Each rank's output, by rank.
    values : dict of int to dict
        Per rank, the variables :func:`run` was asked to ``collect``.
    launcher_output : str
        What ``mpiexec`` itself printed.
    timed_out : bool
        True when the job was stopped for taking too long.
    """

    n: int
    returncode: int
    elapsed: float
    stdout: dict[int, str] = field(default_factory=dict)
    stderr: dict[int, str] = field(default_factory=dict)
    values: dict[int, dict[str, object]] = field(default_factory=dict)
    launcher_output: str = ""
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        """True when the job finished in time and every rank succeeded."""
        return self.returncode == 0 and not self.timed_out

    def text(self, stream: str = "stdout") -> str:
        """All ranks' output in rank order, each line prefixed with its rank.

        Parameters
        ----------
        stream : {"stdout", "stderr"}
            Which output.

        Returns
        -------
        str
            Lines like ``[rank 0] hello``, rank 0's first.
        """
        by_rank = self.stdout if stream == "stdout" else self.stderr
        width = len(str(self.n - 1))
        lines = []
        for rank in range(self.n):
            for line in by_rank.get(rank, "").splitlines():
                lines.append(f"[rank {rank:>{width}}] {line}")
        return "\n".join(lines)

    def failure_report(self) -> str:
        """Each rank's stderr (and the launcher's), for an error message."""
        parts = []
        for rank in range(self.n):
            err = self.stderr.get(rank, "").strip()
            if err:
                parts.append(f"--- rank {rank} stderr ---\n{err}")
        if self.launcher_output.strip():
            parts.append(f"--- mpiexec ---\n{self.launcher_output.strip()}")
        return "\n".join(parts) or "(no output on stderr)"


def launcher_view(env: Mapping[str, str]) -> dict:
    """Which launcher started this process, and the rank and size it assigned.

    The innermost launcher wins: ``mpiexec`` run inside a Slurm step inherits
    the step's ``SLURM_PROCID``, so MPI's own variables come first. MPICH's
    Hydra (and Slurm's PMI2) set PMI_RANK/PMI_SIZE, Open MPI's mpirun
    OMPI_COMM_WORLD_RANK/SIZE, PMIx launchers PMIX_RANK; srun alone (no PMI,
    the "rank 0 of 1" trap) only SLURM_PROCID/SLURM_STEP_NUM_TASKS. Nothing
    starts MPI: only the environment is read.

    Parameters
    ----------
    env : mapping
        The environment to read, usually ``os.environ``.

    Returns
    -------
    dict
        ``launcher`` (e.g. ``"srun"``, ``"mpiexec (PMI)"``), ``rank``,
        ``size`` and ``pmi`` (the start-up protocol); empty when no launcher
        started this process.
    """

    def number(name: str) -> int | None:
        value = env.get(name, "")
        return int(value) if value.isdigit() else None

    in_step = number("SLURM_STEP_ID") is not None and number("SLURM_PROCID") is not None
    if number("PMI_SIZE") is not None and number("PMI_RANK") is not None:
        srun_pmi = (
            in_step
            and number("PMI_RANK") == number("SLURM_PROCID")
            and number("PMI_SIZE") == (number("SLURM_STEP_NUM_TASKS") or number("SLURM_NTASKS"))
        )
        return {
            "launcher": "srun" if srun_pmi else "mpiexec (PMI)",
            "rank": number("PMI_RANK"),
            "size": number("PMI_SIZE"),
            "pmi": env.get("SLURM_MPI_TYPE", "pmi2") if srun_pmi else "pmi",
        }
    if number("OMPI_COMM_WORLD_SIZE") is not None:
        return {
            "launcher": "mpirun (Open MPI)",
            "rank": number("OMPI_COMM_WORLD_RANK") or 0,
            "size": number("OMPI_COMM_WORLD_SIZE"),
            "pmi": "pmix",
        }
    if in_step:
        size = number("SLURM_STEP_NUM_TASKS") or number("SLURM_NTASKS") or 1
        return {"launcher": "srun", "rank": number("SLURM_PROCID"), "size": size, "pmi": env.get("SLURM_MPI_TYPE", "")}
    if number("PMIX_RANK") is not None:
        return {
            "launcher": "a PMIx launcher",
            "rank": number("PMIX_RANK"),
            "size": number("PMIX_SIZE") or 0,
            "pmi": "pmix",
        }
    return {}


def find_mpiexec() -> str:
    """The ``mpiexec`` that belongs to this Python's MPI.

    ``HPCLAB_MPIEXEC`` wins; then the one next to this interpreter (the
    ``mpich`` wheel installs it into the venv's bin/); then ``PATH``. A
    launcher of another MPI than the one mpi4py loaded starts every rank as
    "rank 0 of 1"; ``hpclab doctor`` checks the one found here.

    Returns
    -------
    str
        The launcher's path (as given, for ``HPCLAB_MPIEXEC``).

    Raises
    ------
    FileNotFoundError
        No launcher anywhere; the message says how to get one.
    """
    chosen = os.environ.get(config.MPIEXEC)
    if chosen:
        return chosen
    beside = Path(sys.executable).parent / "mpiexec"
    if beside.exists():
        return str(beside)
    found = shutil.which("mpiexec") or shutil.which("mpirun")
    if found is None:
        raise FileNotFoundError(
            "No mpiexec found. Install the MPI wheel (`pip install mpich`), load your "
            f"site's MPI module, or set {config.MPIEXEC} to the launcher's path."
        )
    return found


def launcher_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for mpiexec: unbuffered output, oversubscription allowed.

    Workshop laptops and CI have 2 cores but lessons use 4 ranks; MPICH allows
    that by default, Open MPI needs to be told. Open MPI also refuses to run as
    root; ``HPCLAB_MPI_AS_ROOT=1`` (containers, CI) lifts that, on request only.
    This Python's bin/ comes first on ``PATH``, so the ranks find its tools.

    Parameters
    ----------
    base : mapping, optional
        The environment to start from (default: ``os.environ``); not changed.

    Returns
    -------
    dict
        A new environment; settings already in ``base`` are kept.
    """
    env = dict(os.environ if base is None else base)
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("OMPI_MCA_rmaps_base_oversubscribe", "1")  # Open MPI 4
    env.setdefault("PRTE_MCA_rmaps_default_mapping_policy", ":oversubscribe")  # Open MPI 5 (PRRTE)
    if env.get(config.MPI_AS_ROOT) == "1":  # asked for explicitly, never just because we are root
        env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
        env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    return env


def _stop_ranks(marker: str, grace: float) -> None:
    """Wait up to ``grace`` s for this run's rank processes to exit, then kill the rest.

    MPICH's launcher starts every rank in a session of its own, so stopping
    mpiexec's process group does not reach them, and after an MPI_Abort a rank
    can outlive mpiexec for a moment (still writing its files). The ranks are
    found by ``marker``, the run's unique temporary path on their command line.
    """
    left = processes.stop(processes.with_marker(marker), grace=grace, reap=3)
    if left:  # a rank that survives SIGKILL is stuck in the kernel: nothing more we can do here
        print(f"hpclab: MPI ranks {[p.pid for p in left]} did not stop", file=sys.stderr)


SHM_DIR = Path("/dev/shm")


def _mapped_shm() -> set[str]:
    """Shared-memory files some live process still has mapped."""
    return processes.mapped_paths("/dev/shm/mpich_shm")


def remove_stale_shm(since: float) -> int:
    """Delete MPICH shared-memory segments made after ``since`` that nobody maps.

    MPICH unlinks them when a job ends normally; a job that is killed (a
    timeout, a crash during start-up) leaves them in /dev/shm, where they hold
    memory and can clash with a later job's segment name. Only this user's
    segments are touched.

    Parameters
    ----------
    since : float
        A ``time.time()``: segments modified before it are left alone.

    Returns
    -------
    int
        How many segments were deleted.
    """
    if not SHM_DIR.is_dir():
        return 0
    candidates = []
    for path in SHM_DIR.glob("mpich_shm_*"):
        try:
            info = path.stat()
            if info.st_mtime >= since and info.st_uid == os.getuid():  # never other users' segments
                candidates.append(path)
        except OSError:
            continue
    if not candidates:
        return 0
    mapped = _mapped_shm()
    stale = [path for path in candidates if str(path) not in mapped]
    for path in stale:
        path.unlink(missing_ok=True)
    return len(stale)


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def run(
    program: str | os.PathLike,
    n: int = 2,
    *,
    timeout: float = 60,
    args: Sequence[str] = (),
    collect: Iterable[str] = (),
    check: bool = True,
    cwd: str | os.PathLike | None = None,
    env: Mapping[str, str] | None = None,
) -> MPIResult:
    """Run ``program`` on ``n`` MPI ranks and collect each rank's output.

    The program runs under ``mpiexec -n N python -m mpi4py``, so an uncaught
    exception on one rank aborts every rank instead of leaving the others
    waiting; ``timeout`` ends a deadlocked job. The ranks' output is kept per
    rank, to be shown in rank order.

    Parameters
    ----------
    program : str or path-like
        A path to a .py file, or Python source code.
    n : int
        Number of ranks (at least 1).
    timeout : float
        Seconds before the job is stopped as stuck.
    args : sequence of str
        The program's command-line arguments (``sys.argv[1:]`` on every rank).
    collect : iterable of str
        Names of global variables whose value on each rank is returned in
        ``result.values[rank]`` (used by the exercise checks).
    check : bool
        Raise on failure (default); with False, return the result anyway.
    cwd : str or path-like, optional
        Working directory of the ranks.
    env : mapping, optional
        Their environment (default: this process's), see :func:`launcher_env`.

    Returns
    -------
    MPIResult
        Every rank's stdout, stderr and collected values.

    Raises
    ------
    MPITimeout
        ``check`` and the job did not finish within ``timeout``.
    MPIError
        ``check`` and the job exited with an error; carries every rank's stderr.
    FileNotFoundError
        No MPI launcher (see :func:`find_mpiexec`).
    UsageError
        ``n`` is less than 1.
    """
    if n < 1:
        raise UsageError(f"n must be at least 1 rank, got {n}")
    collect = [name.strip() for name in collect if name.strip()]
    with tempfile.TemporaryDirectory(prefix="hpclab-mpi-") as tmp:
        tmpdir = Path(tmp)
        source_path = Path(os.fspath(program))
        is_file = isinstance(program, os.PathLike) or (
            "\n" not in str(program) and str(program).endswith(".py") and source_path.is_file()
        )
        if is_file:
            script = source_path.resolve()
        else:
            script = tmpdir / "program.py"
            script.write_text(str(program))
        bootstrap = tmpdir / "_hpclab_bootstrap.py"
        bootstrap.write_text(_BOOTSTRAP)
        command = [
            find_mpiexec(),
            "-n",
            str(n),
            sys.executable,
            "-m",
            "mpi4py",
            str(bootstrap),
            str(tmpdir),
            str(script),
            ",".join(collect),
            *args,
        ]
        start = time.perf_counter()
        try:
            proc = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                env=launcher_env(env),
                start_new_session=True,
                text=True,
            )
        except FileNotFoundError:
            raise FileNotFoundError(
                f"Cannot start the MPI launcher {command[0]!r}: no such program. Fix or "
                f"unset {config.MPIEXEC}, or install MPI (`pip install mpich`)."
            ) from None
        timed_out = False
        started_at = time.time() - 1
        try:
            launcher_output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            processes.stop_session(proc)
            launcher_output, _ = proc.communicate()
        except BaseException:  # KeyboardInterrupt in a notebook: never leave ranks behind
            processes.stop_session(proc)
            _stop_ranks(str(bootstrap), grace=0)
            remove_stale_shm(started_at)
            raise
        _stop_ranks(str(bootstrap), grace=0 if timed_out else 5)
        if timed_out or proc.returncode != 0:
            remove_stale_shm(started_at)
        result = MPIResult(
            n=n,
            returncode=proc.returncode,
            elapsed=time.perf_counter() - start,
            launcher_output=launcher_output or "",
            timed_out=timed_out,
        )
        for rank in range(n):
            result.stdout[rank] = _read(tmpdir / f"rank{rank}.stdout")
            result.stderr[rank] = _read(tmpdir / f"rank{rank}.stderr")
            values_file = tmpdir / f"rank{rank}.values"
            if values_file.exists():
                with open(values_file, "rb") as fh:
                    result.values[rank] = pickle.load(fh)
    if check and timed_out:
        raise MPITimeout(
            f"The MPI job on {n} ranks did not finish within {timeout:g} s and was "
            "stopped. If every rank is waiting for another one (for example all "
            "call recv before anyone sends), that is a deadlock.\n" + result.failure_report(),
            result,
        )
    if check and result.returncode != 0:
        hint = ""
        if "allow-run-as-root" in result.launcher_output:
            hint = (
                f"Open MPI refuses to run as root. Run as a normal user, or, in a container or CI "
                f"where root is intended, `export {config.MPI_AS_ROOT}=1`.\n"
            )
        raise MPIError(
            f"The MPI job on {n} ranks failed (exit code {result.returncode}).\n" + hint + result.failure_report(),
            result,
        )
    return result


def _magic_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="%%mpirun", add_help=False)
    parser.add_argument("-n", "--np", dest="n", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=60)
    return parser


def mpirun_magic(line: str, cell: str) -> MPIResult | None:
    """Body of the ``%%mpirun -n N [--timeout S]`` cell magic: run the cell on N ranks.

    Parameters
    ----------
    line : str
        The options after ``%%mpirun`` (``-n``/``--np``, ``--timeout``).
    cell : str
        The cell's code.

    Returns
    -------
    None
        The ranks' output is printed, in rank order.

    Raises
    ------
    MPITimeout, MPIError
        The job took too long or failed; with every rank's stderr.
    UsageError
        The options cannot be read.
    """
    try:
        options = _magic_parser().parse_args(shlex.split(line))
    except SystemExit:
        raise UsageError(f"usage: %%mpirun -n N [--timeout SECONDS]; got {line!r}") from None
    result = run(cell, options.n, timeout=options.timeout, check=False)
    output = result.text()
    if output:
        print(output)
    warnings = result.text("stderr")
    if result.ok and warnings:
        print(warnings, file=sys.stderr)
    if result.timed_out:
        raise MPITimeout(
            f"%%mpirun: no result after {options.timeout:g} s; the job was stopped "
            "(a deadlock?).\n" + result.failure_report(),
            result,
        )
    if result.returncode != 0:
        raise MPIError(f"%%mpirun: the job failed (exit code {result.returncode}).\n" + result.failure_report(), result)
    return None


def load_ipython_extension(ipython) -> None:
    """``%load_ext hpclab.mpi`` registers the ``%%mpirun`` cell magic.

    Parameters
    ----------
    ipython : IPython.core.interactiveshell.InteractiveShell
        The shell IPython passes in.
    """
    ipython.register_magic_function(mpirun_magic, magic_kind="cell", magic_name="mpirun")


# ------------------------------------------------ which MPI: the library and its launchers

#: How well a launcher fits the library (:func:`compare_launcher`), in the doctor's three words;
#: :mod:`hpclab.doctor.findings` takes its statuses from here, so there is one definition.
OK, WARN, FAIL = "ok", "warn", "fail"

#: The fix for srun tasks that MPI does not see as one job (the "rank 0 of 1" trap).
PMI_FIX = (
    "launch with `srun --mpi=pmi2 ...` (or `export SLURM_MPI_TYPE=pmi2` before srun; "
    "`srun --mpi=list` shows what your site offers, e.g. pmix)"
)

# Families of MPI: launchers and libraries within one family talk the same
# start-up protocol (PMI); across families they do not.
_MPICH_LIKE = {"MPICH", "Intel MPI", "MVAPICH"}


def import_mpi() -> ModuleType:
    """``mpi4py.MPI``, loaded without initialising MPI (unless something already did).

    Importing ``mpi4py.MPI`` normally calls ``MPI_Init``; in a notebook kernel
    or on a login node that is unwanted (and under a launcher of another MPI
    it can hang). With ``mpi4py.rc.initialize = False`` set before the first
    import, the library is only loaded, enough to ask who made it.

    Returns
    -------
    module
        The ``mpi4py.MPI`` extension module.

    Raises
    ------
    ImportError
        mpi4py is not installed, or cannot load an MPI library.
    """
    import mpi4py  # noqa: PLC0415  may be missing: the doctor reports that instead of failing to import

    if "mpi4py.MPI" not in sys.modules:
        mpi4py.rc.initialize = False
    from mpi4py import MPI  # noqa: PLC0415  loads libmpi (initialising it is switched off just above)

    return MPI


def mpi_library() -> dict:
    """What mpi4py loaded: vendor, version, first line of the library's own label, file.

    MPI is *not* initialised here (see :func:`import_mpi`), so this is safe in
    a notebook kernel or on a login node.

    Returns
    -------
    dict
        ``vendor`` and ``version`` (as mpi4py reports them, e.g. ``"MPICH"``,
        ``"4.3.0"``), ``label`` (the first line of ``MPI_Get_library_version``),
        ``path`` (the libmpi file, None if mpi4py cannot tell) and ``mpi4py``
        (its version).

    Raises
    ------
    ImportError, RuntimeError, OSError
        mpi4py is missing or cannot load an MPI library.
    """
    import mpi4py  # noqa: PLC0415  may be missing: the doctor reports that instead of failing to import

    MPI = import_mpi()
    vendor, version = MPI.get_vendor()
    label = MPI.Get_library_version().strip().splitlines()
    return {
        "vendor": vendor,
        "version": ".".join(map(str, version)),
        "label": " ".join(label[0].split()) if label else "",
        "path": _loaded_libmpi(),
        "mpi4py": mpi4py.__version__,
    }


def _loaded_libmpi() -> str | None:
    """The libmpi file mpi4py loads, as mpi4py itself reports it (None if it cannot tell)."""
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "mpi4py", "--mpi-library"],
            capture_output=True,
            text=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    path = proc.stdout.strip()
    return path if proc.returncode == 0 and path else None


def family_of_vendor(vendor: str) -> str:
    """Group mpi4py's vendor name into a launcher family.

    Parameters
    ----------
    vendor : str
        The vendor as ``mpi4py.MPI.get_vendor()`` names it.

    Returns
    -------
    str
        ``"Open MPI"``, ``"Intel MPI"``, ``"MVAPICH"`` or ``"MPICH"``; any other
        vendor unchanged.
    """
    v = vendor.lower()
    if "open mpi" in v or "openmpi" in v:
        return "Open MPI"
    if "intel" in v:
        return "Intel MPI"
    if "mvapich" in v:
        return "MVAPICH"
    if "mpich" in v:
        return "MPICH"
    return vendor


def identify_launcher(version_text: str) -> tuple[str, str]:
    """Which MPI a launcher belongs to, from what its ``--version`` printed.

    Parameters
    ----------
    version_text : str
        The launcher's ``--version`` output (see :func:`launcher_version`).

    Returns
    -------
    tuple of str
        ``(family, version)``: family as :func:`family_of_vendor` names it, or
        ``"Slurm"`` for srun; ``("", "")`` for a launcher not recognised.
    """
    text = version_text
    patterns = [
        ("Open MPI", r"\((?:Open MPI|OpenRTE|PRRTE)\)\s*v?([\d.]+)", r"Open MPI|OpenRTE|PRRTE|prterun"),
        ("Intel MPI", r"Intel\(R\) MPI Library.*?Version\s*([\d.]+)", r"Intel\(R\) MPI"),
        ("MVAPICH", r"MVAPICH\S*\s*(?:Version:?)?\s*([\d.]+)", r"MVAPICH"),
        ("MPICH", r"Version:\s*([\d.]+)", r"HYDRA|MPICH"),
        ("Slurm", r"slurm(?:-wlm)?\s+([\d.]+)", r"^slurm"),
    ]
    for family, version_re, marker in patterns:
        if re.search(marker, text, re.I | re.M):
            match = re.search(version_re, text, re.I | re.S)
            return family, match.group(1) if match else ""
    return "", ""


def launcher_version(path: str) -> str:
    """What ``path --version`` prints (stdout and stderr), or ``<could not run: ...>``.

    Parameters
    ----------
    path : str
        The launcher (``mpiexec``, ``mpirun``, ``srun``...).

    Returns
    -------
    str
        Its output, stripped; ``"<could not run: REASON>"`` when it does not
        start or takes more than 20 s.
    """
    try:
        proc = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"<could not run: {exc}>"
    return (proc.stdout + proc.stderr).strip()


def compare_launcher(library: dict, path: str, version_text: str) -> tuple[str, str, str]:
    """Does the launcher at ``path`` belong to the MPI library mpi4py loaded?

    Parameters
    ----------
    library : dict
        :func:`mpi_library`'s answer (``vendor`` and ``version`` are used).
    path : str
        The launcher, as it is named in the description.
    version_text : str
        Its :func:`launcher_version`.

    Returns
    -------
    tuple of str
        ``(status, description, fix)``: status :data:`OK` (same MPI, or srun),
        :data:`WARN` (related or unrecognised) or :data:`FAIL` (another MPI, or it
        does not run); fix may be ``""`` when the caller knows the better one.
    """
    family, version = identify_launcher(version_text)
    lib_family = family_of_vendor(library["vendor"])
    named = f"{family} {version}".strip() if family else "an MPI launcher I do not recognise"
    if version_text.startswith("<could not run"):
        return FAIL, f"{path} does not run: {version_text[1:-1]}", "point hpclab at a working launcher"
    if family == "Slurm":
        return OK, f"{path} is Slurm's srun {version}: it starts any MPI that speaks PMI", PMI_FIX
    if not family:
        first = version_text.splitlines()[0] if version_text else "no output"
        return WARN, f"{path} is {named} (`--version` said: {first!r})", "check it belongs to " + lib_family
    if family == lib_family:
        if family == "MPICH" and version and library["version"] and version != library["version"]:
            return (
                WARN,
                f"{path} is MPICH's Hydra {version}, but the library is MPICH {library['version']}: "
                "two different installations",
                "use the mpiexec of the same installation (the one next to this Python, or the module "
                "mpi4py was built against)",
            )
        return OK, f"{path} is {named}: it belongs to the library mpi4py loaded ({lib_family})", ""
    if family in _MPICH_LIKE and lib_family in _MPICH_LIKE:
        return (
            WARN,
            f"{path} is {named} but mpi4py loaded {lib_family}: related (both MPICH-based), usually works",
            "prefer the launcher of the same MPI",
        )
    return FAIL, f"{path} is {named}, but mpi4py loaded {lib_family} {library['version']}: they do not match", ""
