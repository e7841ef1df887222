"""``hpclab doctor``: what is set up here, what is wrong, and how to fix it.

Most trouble in this course has a handful of causes: an ``mpiexec`` from a
different MPI than the one mpi4py loaded, ``srun`` starting every task as
"rank 0 of 1" (no PMI), Dask picking the wrong network, or not knowing how to
reach the dashboard from a laptop. :func:`report` looks at each of these and
returns a :class:`Report`; ``print(report)`` gives one line per finding
(✅ fine, ⚠️ worth a look, ❌ broken), each warning or problem followed by the
fix.

The doctor never starts MPI in the calling process (the library is inspected
with ``mpi4py.rc.initialize = False``); when it must see what MPI reports for
rank and size, it starts MPI in a short-lived subprocess. It sends nothing
over the network: whether the internet is reachable is judged from the
routing table alone.
"""

from __future__ import annotations

import getpass
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

from hpclab import config, processes
from hpclab.errors import UsageError
from hpclab.mpi import launcher_view

OK, WARN, FAIL = "ok", "warn", "fail"
SYMBOL = {OK: "✅", WARN: "⚠️", FAIL: "❌"}
SECTIONS = ("Python", "MPI", "Slurm", "Network", "Dashboard", "Security")
OFFLINE_NOTE = "the course works without internet: data is generated locally, see `hpclab data prepare`"
PMI_FIX = (
    "launch with `srun --mpi=pmi2 ...` (or `export SLURM_MPI_TYPE=pmi2` before srun; "
    "`srun --mpi=list` shows what your site offers, e.g. pmix)"
)

# Families of MPI: launchers and libraries within one family talk the same
# start-up protocol (PMI); across families they do not.
_MPICH_LIKE = {"MPICH", "Intel MPI", "MVAPICH"}

# Runs in a subprocess: start MPI, report what this process sees, finish.
_PROBE = """
import json
from mpi4py import MPI
comm = MPI.COMM_WORLD
print(json.dumps({"rank": comm.Get_rank(), "size": comm.Get_size(), "host": MPI.Get_processor_name()}))
"""


@dataclass(frozen=True)
class Finding:
    """One thing the doctor looked at: how it is (``ok``/``warn``/``fail``) and what to do."""

    section: str
    status: str
    message: str
    fix: str = ""
    details: dict = field(default_factory=dict)

    def text(self) -> str:
        line = f"  {SYMBOL[self.status]} {self.message}"
        if self.fix and self.status != OK:
            line += f"\n      fix: {self.fix}"
        return line


@dataclass
class Report:
    """Every finding, in section order; ``str(report)`` is the readable version."""

    host: str
    findings: list[Finding]
    task: dict = field(default_factory=dict)  # launcher's view when run as one task of many

    @property
    def ok(self) -> bool:
        """True when nothing is broken (warnings allowed)."""
        return not any(f.status == FAIL for f in self.findings)

    def counts(self) -> dict[str, int]:
        return {s: sum(f.status == s for f in self.findings) for s in (OK, WARN, FAIL)}

    def text(self, brief: bool = False) -> str:
        """One line per finding, grouped by section, each ⚠️/❌ with its fix.

        ``brief``: only the Slurm section and problems elsewhere, every line
        prefixed with the task number: what tasks other than the first print
        when srun runs the doctor on every task (srun mixes their lines).
        """
        where = self.host
        if self.task:
            where += f", task {self.task['rank']} of {self.task['size']} ({self.task['launcher']})"
        lines = [f"hpclab doctor on {where}"]
        for section in SECTIONS:
            chosen = [
                f for f in self.findings if f.section == section and (not brief or section == "Slurm" or f.status != OK)
            ]
            if chosen:
                lines.append(section)
                lines.extend(f.text() for f in chosen)
        c = self.counts()
        verdict = "nothing is broken" if self.ok else "something is broken: see the fix lines"
        lines.append(
            f"{_count(c[OK], 'check')} fine, {_count(c[WARN], 'warning')}, {_count(c[FAIL], 'problem')}: {verdict}"
        )
        if brief and self.task:
            lines = [f"[task {self.task['rank']}] {line}" for line in "\n".join(lines).splitlines()]
        return "\n".join(lines)

    def as_dict(self) -> dict:
        """Plain data for ``--json``."""
        return {
            "host": self.host,
            "ok": self.ok,
            "counts": self.counts(),
            "task": self.task,
            "findings": [asdict(f) for f in self.findings],
        }

    def __str__(self) -> str:
        return self.text()


# --------------------------------------------------------------------- Python


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def python_findings() -> list[Finding]:
    """Which interpreter, which package versions, how many cores."""
    from hpclab import __version__
    from hpclab.cluster import available_cores, plan_layout

    where = f"virtual environment {sys.prefix}" if sys.prefix != sys.base_prefix else f"environment {sys.prefix}"
    found = [
        Finding(
            "Python",
            OK,
            f"Python {platform.python_version()} at {sys.executable} ({where})",
            details={"executable": sys.executable, "prefix": sys.prefix},
        )
    ]

    versions = {"hpclab": __version__}
    versions.update({name: _version(name) for name in ("dask", "distributed", "mpi4py", "dask-mpi", "mpich")})
    shown = ", ".join(f"{k} {v}" for k, v in versions.items() if v)
    missing = [k for k in ("dask", "distributed", "mpi4py") if versions[k] is None]
    if missing:
        found.append(
            Finding(
                "Python",
                FAIL,
                f"not installed for this Python: {', '.join(missing)} ({shown})",
                f"install the course into this environment: `{sys.executable} -m pip install -e .`",
                details={"versions": versions},
            )
        )
    elif versions["dask"] != versions["distributed"]:
        found.append(
            Finding(
                "Python",
                WARN,
                f"dask {versions['dask']} and distributed {versions['distributed']} "
                "differ (they are released together)",
                f"`{sys.executable} -m pip install -U dask distributed`",
                details={"versions": versions},
            )
        )
    else:
        found.append(Finding("Python", OK, f"versions: {shown}", details={"versions": versions}))

    cores = available_cores()
    try:
        layout = plan_layout()
    except ValueError as exc:
        found.append(
            Finding(
                "Python",
                FAIL,
                f"{cores} cores you may use, but the environment is wrong: {exc}",
                "fix or unset that variable",
                details={"cores": cores},
            )
        )
        return found
    found.append(
        Finding(
            "Python",
            OK,
            f"cores you may use: {cores} of {os.cpu_count()} in the machine; a local Dask cluster would run "
            f"{_count(layout.n_workers, 'worker')} x {_count(layout.threads_per_worker, 'thread')} ({layout.reason})",
            details={
                "cores": cores,
                "cpu_count": os.cpu_count(),
                "workers": layout.n_workers,
                "threads_per_worker": layout.threads_per_worker,
            },
        )
    )
    found.append(settings_finding(os.environ))
    return found


def settings_finding(env: Mapping[str, str]) -> Finding:
    """The course's ``HPCLAB_*`` variables that are set here (see :mod:`hpclab.config`)."""
    chosen = config.current(env)
    if not chosen:
        return Finding("Python", OK, 'no HPCLAB_* variables set: every default applies (README, "Settings")')
    shown = ", ".join(f"{name}={value}" for name, value in chosen.items())
    return Finding("Python", OK, f"settings: {shown}", details={"settings": chosen})


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


# ------------------------------------------------------------------------ MPI


def mpi_library() -> dict:
    """What mpi4py loaded: vendor, version, first line of the library's own label, file.

    MPI is *not* initialised here (``mpi4py.rc.initialize = False`` before the
    first import), so this is safe in a notebook kernel or on a login node.
    """
    import mpi4py

    if "mpi4py.MPI" not in sys.modules:
        mpi4py.rc.initialize = False
    from mpi4py import MPI

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
    """Group mpi4py's vendor name into a launcher family."""
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
    """(family, version) from a launcher's ``--version`` output; family "" if unknown."""
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


def _launcher_version(path: str) -> str:
    try:
        proc = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"<could not run: {exc}>"
    return (proc.stdout + proc.stderr).strip()


def compare_launcher(library: dict, path: str, version_text: str) -> tuple[str, str, str]:
    """(status, description, fix) for one launcher against the loaded library."""
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


def _fix_for_mismatch(source: str, lib_family: str) -> str:
    rebuild = (
        "or reinstall mpi4py against the MPI you want to use: load its module, then "
        "`pip install --no-binary=mpi4py --force-reinstall mpi4py`"
    )
    if source == "HPCLAB_MPIEXEC":
        beside = Path(sys.executable).parent / "mpiexec"
        target = f"`export HPCLAB_MPIEXEC={beside}`" if beside.exists() else f"the mpiexec of {lib_family}"
        return f"point HPCLAB_MPIEXEC at {lib_family}'s launcher ({target}) or unset it, {rebuild}"
    return (
        f"load the module of the MPI mpi4py was built with (`module load ...`) so its mpiexec comes first "
        f"on PATH, or set HPCLAB_MPIEXEC to {lib_family}'s mpiexec, {rebuild}"
    )


def mpi_findings(env: Mapping[str, str]) -> list[Finding]:
    """Which MPI library mpi4py loaded, and whether the launchers belong to it."""
    from hpclab.mpi import MPIEXEC_ENV, find_mpiexec

    try:
        library = mpi_library()
    except (ImportError, RuntimeError, OSError) as exc:
        return [
            Finding(
                "MPI",
                FAIL,
                f"mpi4py cannot load an MPI library: {exc}",
                "install the MPI wheel (`pip install mpich`) or load your site's MPI module and "
                "rebuild mpi4py (`pip install --no-binary=mpi4py --force-reinstall mpi4py`)",
            )
        ]
    lib_family = family_of_vendor(library["vendor"])
    where = f" ({library['path']})" if library["path"] else ""
    label = "" if library["version"] in library["label"] else f": {library['label']}"
    found = [
        Finding(
            "MPI",
            OK,
            f"mpi4py {library['mpi4py']} loaded {library['vendor']} {library['version']}{where}{label}",
            details=library,
        )
    ]

    try:
        launcher = find_mpiexec()
    except FileNotFoundError as exc:
        found.append(Finding("MPI", FAIL, "no MPI launcher found for hpclab.mpi.run", str(exc)))
        launcher = None
    if launcher is not None:
        if env.get(MPIEXEC_ENV):
            source = MPIEXEC_ENV
        elif Path(launcher).parent == Path(sys.executable).parent:
            source = "next to this Python"
        else:
            source = "from PATH"
        text = _launcher_version(launcher)
        status, said, fix = compare_launcher(library, launcher, text)
        if status == FAIL and not fix:
            fix = _fix_for_mismatch(source if source == MPIEXEC_ENV else "PATH", lib_family)
        family, version = identify_launcher(text)
        found.append(
            Finding(
                "MPI",
                status,
                f"launcher hpclab uses ({source}): {said}",
                fix,
                details={"path": launcher, "source": source, "family": family, "version": version},
            )
        )

    on_path = shutil.which("mpiexec", path=env.get("PATH")) or shutil.which("mpirun", path=env.get("PATH"))
    if on_path is None:
        found.append(
            Finding(
                "MPI", OK, "no `mpiexec` on PATH (fine: hpclab finds its own; in jobs use srun)", details={"path": None}
            )
        )
    elif launcher is None or os.path.realpath(on_path) != os.path.realpath(launcher):
        text = _launcher_version(on_path)
        status, said, fix = compare_launcher(library, on_path, text)
        if status == FAIL and launcher is not None:  # hpclab itself uses the right one
            status = WARN
            fix = fix or (
                "a plain `mpiexec` typed in a terminal or job script starts the wrong MPI: activate the "
                "course environment (`source .venv/bin/activate`) or load the matching MPI module so the "
                f"right one comes first on PATH, or type the full path {launcher}"
            )
        elif status == FAIL:
            fix = fix or _fix_for_mismatch("PATH", lib_family)
        family, version = identify_launcher(text)
        found.append(
            Finding(
                "MPI",
                status,
                f"`mpiexec` on PATH: {said}",
                fix,
                details={"path": on_path, "family": family, "version": version},
            )
        )
    else:
        found.append(Finding("MPI", OK, "`mpiexec` on PATH is that same launcher", details={"path": on_path}))
    return found


# ---------------------------------------------------------------------- Slurm


def probe_mpi(timeout: float = 60) -> dict:
    """Start MPI in a subprocess and return the ``rank``, ``size`` and ``host`` it reports.

    The subprocess inherits this process's environment and its PMI file
    descriptor, so under ``srun --mpi=pmi2`` or ``mpiexec`` it joins the same
    job this task belongs to. On failure the dict has ``error`` instead.
    """
    keep = []
    fd = os.environ.get("PMI_FD", "")
    if fd.isdigit():
        try:
            os.fstat(int(fd))
            keep.append(int(fd))
        except OSError:
            pass
    proc = subprocess.Popen(
        [sys.executable, "-c", _PROBE],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        pass_fds=keep,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        processes.stop_session(proc)
        return {"error": f"MPI did not start within {timeout:g} s (another task may not have started it)"}
    except BaseException:
        processes.stop_session(proc)
        raise
    for line in reversed(out.splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                break
    tail = "\n".join((err or out).strip().splitlines()[-5:])
    return {"error": f"starting MPI failed (exit {proc.returncode}): {tail or 'no output'}"}


def rank_finding(view: dict, seen: dict) -> Finding:
    """Compare the launcher's rank/size with what MPI reports (the "rank 0 of 1" trap)."""
    details = {"launcher": view, "mpi": seen}
    if "error" in seen:
        return Finding(
            "Slurm",
            FAIL,
            f"MPI could not start in this task: {seen['error']}",
            "run the same command with a one-rank job first; check the MPI section above and "
            "the site's MPI documentation",
            details,
        )
    said = f"MPI says rank {seen['rank']} of {seen['size']}"
    if not view:
        return Finding("Slurm", OK, f"{said} (one process started without a launcher, as expected)", details=details)
    by = f"{view['launcher']} started this as task {view['rank']} of {view['size']}"
    if view["size"] > 1 and seen["size"] == 1:
        fix = (
            PMI_FIX
            if view["launcher"] == "srun"
            else "start the program with the mpiexec of the MPI mpi4py loaded (see the MPI section; "
            "`hpclab.mpi.find_mpiexec()` or HPCLAB_MPIEXEC)"
        )
        why = (
            "srun did not hand the ranks to MPI (no PMI)"
            if view["launcher"] == "srun"
            else "the launcher belongs to a different MPI"
        )
        return Finding(
            "Slurm", FAIL, f"the 'rank 0 of 1' trap: {by}, but {said}: every task runs alone, {why}", fix, details
        )
    if seen["size"] != view["size"]:
        return Finding("Slurm", FAIL, f"{by}, but {said}: sizes differ", PMI_FIX, details)
    if seen["rank"] != view["rank"]:
        return Finding(
            "Slurm",
            WARN,
            f"{by}, but {said}: ranks are numbered differently",
            "use MPI's rank (comm.Get_rank()), not the launcher's task id",
            details,
        )
    return Finding("Slurm", OK, f"{by}, and {said}: MPI sees the ranks the launcher started", details=details)


def slurm_findings(env: Mapping[str, str], *, probe: bool | None = None, timeout: float = 60) -> list[Finding]:
    """Are we in a Slurm job or step, and does MPI see the ranks that were started?

    ``probe=None`` starts MPI (in a subprocess) only when a launcher started
    this process; ``True`` always, ``False`` never.
    """
    found = []
    job = env.get("SLURM_JOB_ID")
    view = launcher_view(env)
    if not job:
        found.append(Finding("Slurm", OK, "not inside a Slurm job (a laptop or a login node)"))
    else:
        shape = ", ".join(
            f"{label} {env[name]}"
            for name, label in (
                ("SLURM_JOB_NODELIST", "nodes"),
                ("SLURM_NTASKS", "tasks"),
                ("SLURM_CPUS_PER_TASK", "cpus per task"),
            )
            if env.get(name)
        )
        keys = {
            k: env[k]
            for k in sorted(env)
            if k.startswith("SLURM_")
            and k
            in (
                "SLURM_JOB_ID",
                "SLURM_STEP_ID",
                "SLURM_NTASKS",
                "SLURM_STEP_NUM_TASKS",
                "SLURM_PROCID",
                "SLURM_LOCALID",
                "SLURM_NODEID",
                "SLURM_JOB_NODELIST",
                "SLURM_MPI_TYPE",
                "SLURM_CPUS_PER_TASK",
            )
        }
        if view.get("launcher") == "srun":
            pmi = f"--mpi={view['pmi']}" if view["pmi"] else "the site's default --mpi"
            found.append(
                Finding(
                    "Slurm",
                    OK,
                    f"in job {job}, step {env['SLURM_STEP_ID']}: task {view['rank']} of "
                    f"{view['size']} on {env.get('SLURMD_NODENAME', socket.gethostname())} "
                    f"(srun with {pmi}; {shape})",
                    details=keys,
                )
            )
        else:
            found.append(
                Finding(
                    "Slurm",
                    OK,
                    f"inside Slurm job {job} ({shape}), outside any srun step: run "
                    "`srun hpclab doctor` to check what every task sees",
                    details=keys,
                )
            )
    if probe is None:
        probe = bool(view)
    if probe:
        found.append(rank_finding(view, probe_mpi(timeout)))
    elif not job:
        found.append(
            Finding(
                "Slurm",
                OK,
                "MPI ranks not checked (no launcher started this); in a job run "
                "`srun -n 2 hpclab doctor`, or `mpiexec -n 2 hpclab doctor --mpi` here",
            )
        )
    return found


# -------------------------------------------------------------------- Network


def interfaces() -> dict[str, list[str]]:
    """Interfaces that are up, with their IPv4 addresses (maybe none)."""
    import psutil

    stats = psutil.net_if_stats()
    result = {}
    for name, addrs in psutil.net_if_addrs().items():
        if name in stats and not stats[name].isup:
            continue
        result[name] = [a.address for a in addrs if a.family == socket.AF_INET]
    return result


def default_route(route_table: str | os.PathLike = "/proc/net/route") -> str | None:
    """Interface of the IPv4 default route, "" if there is none, None if the table cannot be read."""
    try:
        lines = Path(route_table).read_text().splitlines()[1:]
    except OSError:
        return None
    for line in lines:
        parts = line.split()
        if len(parts) >= 8 and parts[1] == "00000000" and parts[7] == "00000000" and int(parts[3], 16) & 1:
            return parts[0]
    return ""


def _hosts_file_address(name: str, hosts: str = "/etc/hosts") -> str | None:
    try:
        lines = Path(hosts).read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split("#")[0].split()
        if len(parts) >= 2 and name in parts[1:] and ":" not in parts[0]:
            return parts[0]
    return None


def dask_address(route_table: str | os.PathLike = "/proc/net/route") -> tuple[str | None, str]:
    """The address Dask would give other machines, and why it could not tell.

    ``distributed.utils.get_ip()`` asks the kernel which local address would
    reach a public host, via a UDP "connect". We read the same answer off the
    routing table instead (the default route's interface and its IPv4
    address), so the doctor never addresses anything outside this machine.
    """
    iface = default_route(route_table)
    if not iface:
        return None, "no default route"
    addresses = interfaces().get(iface) or []
    if not addresses:
        return None, f"the default route's interface {iface} has no IPv4 address"
    return addresses[0], ""


def network_findings(env: Mapping[str, str], route_table: str | os.PathLike = "/proc/net/route") -> list[Finding]:
    """Interfaces, the address Dask would use, and (without any traffic) whether we are online."""
    ifaces = interfaces()
    listing = "; ".join(f"{name} {', '.join(addrs) or '(no IPv4)'}" for name, addrs in ifaces.items())
    found = [Finding("Network", OK, f"interfaces: {listing}", details={"interfaces": ifaces})]
    outside = {n: a for n, a in ifaces.items() if any(not ip.startswith("127.") for ip in a)}
    route = default_route(route_table)
    in_job = bool(env.get("SLURM_JOB_ID"))
    by_ip = {ip: n for n, a in ifaces.items() for ip in a}
    iface_fix = (
        "name the network explicitly: `dask_mpi.initialize(interface='ib0')`, `dask-mpi --interface ib0`, "
        "or `export HPCLAB_IFACE=ib0` in your jobscripts/site/*.sh profile"
    )

    if route == "":
        fallback = _hosts_file_address(socket.gethostname())
        status = WARN if in_job else OK
        found.append(
            Finding(
                "Network",
                status,
                "Dask's address probe would find no route and fall back to this host's name "
                f"({socket.gethostname()} -> {fallback or 'not in /etc/hosts'}); local clusters are "
                "unaffected (hpclab binds them to 127.0.0.1)",
                iface_fix,
                {"dask_ip": fallback},
            )
        )
    elif route is None:
        found.append(
            Finding(
                "Network",
                OK,
                "the address Dask would give other machines: unknown here (no routing "
                "table this doctor can read on this system, and it sends no traffic to find out)",
                iface_fix,
                {"dask_ip": None},
            )
        )
    else:
        ip, warning = dask_address(route_table)
        name = by_ip.get(ip or "", "no interface of this host")
        if ip is None or warning or (ip.startswith("127.") and outside):
            found.append(
                Finding(
                    "Network",
                    WARN,
                    f"Dask could not pick a good address: {warning or ip}",
                    iface_fix,
                    {"dask_ip": ip, "dask_interface": name},
                )
            )
        else:
            found.append(
                Finding(
                    "Network",
                    OK,
                    f"Dask would use {ip} ({name}) for other nodes to reach it "
                    "(the default route's interface, read from the routing table)",
                    details={"dask_ip": ip, "dask_interface": name},
                )
            )
    if len(outside) > 1:
        found.append(
            Finding(
                "Network",
                WARN,
                f"{len(outside)} interfaces besides loopback "
                f"({', '.join(outside)}): the default route's is not always the fast one",
                iface_fix.replace("ib0", next((n for n in outside if n.startswith("ib")), "ib0")),
                {"candidates": list(outside)},
            )
        )
    chosen = env.get(config.IFACE)
    if chosen:
        if ifaces.get(chosen):
            found.append(Finding("Network", OK, f"HPCLAB_IFACE={chosen} exists here ({', '.join(ifaces[chosen])})"))
        else:
            found.append(
                Finding(
                    "Network",
                    WARN,
                    f"HPCLAB_IFACE={chosen} is not an interface with an IPv4 address on this host",
                    f"pick one of: {', '.join(outside) or 'lo'} (on compute nodes, check with `srun ip -br addr`)",
                )
            )

    if route is None:
        found.append(
            Finding(
                "Network",
                OK,
                f"internet: cannot tell without sending traffic (no routing table to read); {OFFLINE_NOTE}",
                details={"default_route": None},
            )
        )
    elif route == "":
        found.append(
            Finding(
                "Network", OK, f"internet: no default route: offline ({OFFLINE_NOTE})", details={"default_route": ""}
            )
        )
    else:
        found.append(
            Finding(
                "Network",
                OK,
                f"internet: a default route exists (via {route}; not tested further, "
                f"to send nothing off this machine); {OFFLINE_NOTE}",
                details={"default_route": route},
            )
        )
    return found


# ------------------------------------------------------------------ Dashboard


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "user"


def tunnel_line(
    port: int | str, *, user: str, host: str, target: str = "localhost", jump: str | None = None, local_port: int = 8787
) -> str:
    """The ssh command that forwards ``localhost:local_port`` on a laptop to ``target:port`` seen from ``host``."""
    via = f"-J {user}@{jump} " if jump and jump != host else ""
    return f"ssh {via}-L {local_port}:{target}:{port} {user}@{host}"


def read_scheduler_file(path: str | os.PathLike) -> dict:
    """``{"address", "host", "port", "dashboard"}`` from a Dask scheduler file; ValueError says what is wrong."""
    path = Path(path)
    try:
        info = json.loads(path.read_text())
    except FileNotFoundError:
        raise UsageError(f"scheduler file {path} does not exist") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"scheduler file {path} is not readable JSON ({exc})") from None
    if not isinstance(info, dict) or not isinstance(info.get("address"), str):
        raise UsageError(f'scheduler file {path} has no "address" (is it really a Dask scheduler file?)')
    parts = urlsplit(info["address"])
    services = info.get("services") if isinstance(info.get("services"), dict) else {}
    dashboard = services.get("dashboard")
    return {
        "address": info["address"],
        "host": parts.hostname or "",
        "port": parts.port,
        "dashboard": dashboard if isinstance(dashboard, int) else None,
    }


def dashboard_findings(env: Mapping[str, str]) -> list[Finding]:
    """Where the dashboard would be, and the SSH tunnel line to reach it from a laptop."""
    from hpclab.cluster import DASK_DEFAULT_LINK, SCHEDULER_FILE_ENV, dashboard_link_template, jupyter_server

    user, here = _user(), socket.gethostname()
    node = env.get("SLURMD_NODENAME", here) if env.get("SLURM_JOB_ID") else here
    login = env.get("SLURM_SUBMIT_HOST") if env.get("SLURM_JOB_ID") else None
    found = [
        Finding(
            "Dashboard",
            OK,
            "a local Dask cluster serves its dashboard at http://127.0.0.1:PORT/status; "
            "a free PORT is chosen each time (never a fixed one: login nodes are shared), read it "
            "from `client.dashboard_link`",
        )
    ]
    server = jupyter_server(env) or {}
    template = dashboard_link_template(env, server=server)
    if template != DASK_DEFAULT_LINK:
        where = f"the Jupyter server on port {server['port']}" if server.get("port") else "JupyterHub"
        link = template.replace("{port}", "PORT")
        found.append(
            Finding(
                "Dashboard",
                OK,
                f"this runs under {where}: hpclab's local clusters link their "
                f"dashboard through it ({link}), so the SSH tunnel to JupyterLab is the only one "
                "you need; the tunnel below is for clusters started outside JupyterLab",
                details={"link": link, "jupyter_port": server.get("port")},
            )
        )
    if login and login != node:
        line = tunnel_line("PORT", user=user, host=node, jump=login)
        where = f"through login node {login} to compute node {node}, if your site allows ssh to nodes running your job"
    else:
        line = tunnel_line("PORT", user=user, host=node)
        where = f"to {node}"
    found.append(
        Finding(
            "Dashboard",
            OK,
            f"from a laptop, tunnel {where}: `{line}`, then open "
            "http://localhost:8787/status (on your own laptop, just open the link)",
            details={"tunnel": line, "host": node, "jump": login},
        )
    )

    path = env.get(SCHEDULER_FILE_ENV)
    if path:
        try:
            info = read_scheduler_file(path)
        except ValueError as exc:
            found.append(
                Finding(
                    "Dashboard",
                    FAIL,
                    f"{SCHEDULER_FILE_ENV}: {exc}",
                    "start the scheduler first (e.g. `srun dask-mpi --scheduler-file "
                    f"$PWD/scheduler.json` in a job) and wait for the file, or unset "
                    f"{SCHEDULER_FILE_ENV}",
                )
            )
            return found
        if info["dashboard"] is None:
            found.append(
                Finding(
                    "Dashboard",
                    WARN,
                    f"the scheduler in {path} ({info['address']}) lists no dashboard",
                    "install bokeh where the scheduler runs",
                    details=info,
                )
            )
            return found
        local = info["host"] in ("127.0.0.1", "localhost", "::1", "")
        target = "localhost" if local else info["host"]
        line = tunnel_line(info["dashboard"], user=user, host=login or here, target=target)
        found.append(
            Finding(
                "Dashboard",
                OK,
                f"scheduler file {path}: scheduler {info['address']}, dashboard port "
                f"{info['dashboard']} (not contacted); from a laptop: `{line}`, then open "
                "http://localhost:8787/status",
                details={**info, "tunnel": line},
            )
        )
    return found


# --------------------------------------------------------------------- Security


def shared_machine(
    env: Mapping[str, str], *, uids: set[int] | None = None, have_slurm: bool | None = None
) -> str | None:
    """Why other people can reach this machine's ports (loopback included), or None if nothing says so.

    A Slurm job or a machine with ``sbatch`` is part of a cluster (login nodes
    have hundreds of users; a cluster network reaches every node); elsewhere,
    processes of other human users (uid 1000 and up) give it away.
    """
    if env.get("SLURM_JOB_ID"):
        return "this runs in a Slurm job: compute nodes are shared, and the cluster network reaches every node"
    if have_slurm if have_slurm is not None else shutil.which("sbatch") is not None:
        return "Slurm's sbatch is installed: a cluster's login node, which many users share"
    if uids is None:
        import psutil

        uids = set()
        for proc in psutil.process_iter(["uids"]):
            if proc.info["uids"] is not None:
                uids.add(proc.info["uids"].real)
    others = sorted(u for u in uids if u >= 1000 and u != 65534 and u != os.geteuid())
    return f"processes of {_count(len(others), 'other user')} run here" if others else None


def _current_client_address() -> str | None:
    """The scheduler address of this process's current Dask client, if it has one (never starts one)."""
    if "distributed" not in sys.modules:
        return None
    from distributed import Client

    try:
        return Client.current().scheduler.address
    except (ValueError, AttributeError):
        return None


def tls_findings(
    env: Mapping[str, str], *, shared: str | None | bool = False, client_address: str | None | bool = False
) -> list[Finding]:
    """Warn when the scheduler of ``HPCLAB_SCHEDULER_FILE`` or of the current client speaks plain ``tcp://``
    on a machine others use: anyone who reaches its port can run code as you (``shared``/``client_address``
    are looked up unless given)."""
    from hpclab.cluster import SCHEDULER_FILE_ENV

    shared = shared_machine(env) if shared is False else shared
    client_address = _current_client_address() if client_address is False else client_address
    named = []
    if env.get(SCHEDULER_FILE_ENV):
        try:
            address = read_scheduler_file(env[SCHEDULER_FILE_ENV])["address"]
            named.append((f"the scheduler in {env[SCHEDULER_FILE_ENV]}", address))
        except ValueError:
            pass  # the Dashboard section reports the unreadable file
    if client_address:
        named.append(("this process's Dask client", client_address))
    why = f" ({shared})" if shared else ""
    found = []
    for what, address in named:
        if address.startswith("tls://"):
            found.append(
                Finding(
                    "Security",
                    OK,
                    f"{what} speaks TLS ({address}): clients without its credentials are refused",
                    details={"address": address},
                )
            )
        elif shared:
            found.append(
                Finding(
                    "Security",
                    WARN,
                    f"{what} speaks plain TCP ({address}) on a machine others "
                    f"use{why}: anyone who can reach that port can run code as you",
                    "start it with TLS: hpclab.cluster.start() (its default), "
                    "LocalCluster(security=Security.temporary()), or `dask_tls` in a job "
                    "script (jobscripts/common.sh); README, Security",
                    details={"address": address, "shared": shared},
                )
            )
        else:
            found.append(
                Finding(
                    "Security",
                    OK,
                    f"{what} speaks plain TCP ({address}); no other users seen here, but on a shared machine use TLS",
                    details={"address": address},
                )
            )
    if not named:
        found.append(
            Finding(
                "Security",
                OK,
                "no Dask scheduler named (no HPCLAB_SCHEDULER_FILE, no client): "
                f"hpclab's clusters and job scripts use TLS by default{why}",
                details={"shared": shared},
            )
        )
    return found


# --------------------------------------------------------------------- report


def report(*, mpi: bool | None = None, timeout: float = 60) -> Report:
    """Look at everything and return the findings.

    ``mpi=None`` starts MPI (in a subprocess) only when a launcher such as
    ``srun`` or ``mpiexec`` started this process; ``True`` always (a
    one-process check that MPI starts at all); ``False`` never.
    """
    env = os.environ
    findings = (
        python_findings()
        + mpi_findings(env)
        + slurm_findings(env, probe=mpi, timeout=timeout)
        + network_findings(env)
        + dashboard_findings(env)
        + tls_findings(env)
    )
    view = launcher_view(env)
    return Report(
        host=env.get("SLURMD_NODENAME") or socket.gethostname(),
        findings=findings,
        task=view if view.get("size", 1) > 1 else {},
    )
