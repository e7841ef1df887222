"""Every ``HPCLAB_*`` environment variable, in one list: its name, who reads it, what it does.

Modules take the names from here instead of spelling them, `hpclab doctor`
prints the ones that are set, and a test checks that no ``HPCLAB_*`` name is
used anywhere in the course without being listed (and docs/reference/settings.md with it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    """One environment variable of the course."""

    name: str
    read_by: str
    meaning: str
    default: str


SETTINGS: tuple[Setting, ...] = (
    Setting("HPCLAB_DATA", "hpclab.data", "the folder of the lessons' datasets", "data/ in the course root"),
    Setting("HPCLAB_DATA_SIZE", "hpclab.data", "which dataset size to use: small or full", "full"),
    Setting(
        "HPCLAB_AIR_SOURCE",
        "hpclab.data",
        "where lesson 06's air temperatures come from: generated, or download (falls back with a warning)",
        "generated",
    ),
    Setting(
        "HPCLAB_SCRATCH",
        "hpclab.data, jobscripts/heat.sh",
        "a private scratch folder (the grader gives each notebook its own)",
        "a folder under the system's temporary directory",
    ),
    Setting(
        "HPCLAB_SCHEDULER_FILE",
        "hpclab.cluster, hpclab doctor",
        "a running Dask scheduler to connect to instead of starting a local cluster",
        "unset: start one",
    ),
    Setting(
        "HPCLAB_CORES",
        "hpclab.cluster, hpclab doctor",
        "the cores a local Dask cluster fills (e.g. more than a shared login node's share; the doctor warns "
        "when it is more than the session may use)",
        "a one-task job's --cpus-per-task; outside a job 4 on a shared machine (a login node), "
        "else every core the session may use",
    ),
    Setting(
        "HPCLAB_BWRAP", "hpclab grade (sandbox)", "the bubblewrap program that sandboxes submissions", "bwrap on PATH"
    ),
    Setting(
        "HPCLAB_SANDBOX_UID_BASE",
        "hpclab grade (sandbox)",
        "the first of the unprivileged uids given to submissions, one each (as root)",
        "2913000000",
    ),
    Setting(
        "HPCLAB_MEMORY_LIMIT",
        "hpclab.cluster",
        "set inside the grader's sandbox: its memory limit in bytes, which local clusters share",
        "unset outside the sandbox",
    ),
    Setting(
        "HPCLAB_SANDBOXED",
        "submissions being graded",
        "set inside the grader's sandbox: 1",
        "unset outside the sandbox",
    ),
    Setting(
        "HPCLAB_MPI_WORKER_PARENT",
        "hpclab.mpiworker",
        "set for start(mpi=True) workers: the process (pid:start time) they must not outlive",
        "set by hpclab itself",
    ),
    Setting(
        "HPCLAB_JOBQUEUE_LOGS",
        "jobscripts/programs/capstone_jobqueue.py (and its test)",
        "where dask-jobqueue writes the worker jobs' logs",
        "results/jobqueue-logs/",
    ),
    Setting(
        "HPCLAB_MPIEXEC",
        "hpclab.mpi, hpclab doctor",
        "the MPI launcher to use",
        "the mpiexec beside this Python, else the first on PATH",
    ),
    Setting(
        "HPCLAB_MPI_AS_ROOT",
        "hpclab.mpi",
        "1: let Open MPI's launcher run as root (containers, CI); never assumed for root",
        "unset",
    ),
    Setting(
        "HPCLAB_IFACE",
        "job scripts, hpclab doctor",
        "the network interface Dask uses between nodes (e.g. ib0)",
        "set by the site profile",
    ),
    Setting("HPCLAB_SITE", "job scripts, hpclab site-check", "which jobscripts/site/<name>.sh profile to use", "local"),
    Setting("HPCLAB_ROOT", "job scripts", "the course folder jobs run in", "the folder sbatch ran in"),
    Setting(
        "HPCLAB_VENV", "job scripts (site profile)", "the Python environment jobs activate", ".venv in the course root"
    ),
    Setting(
        "HPCLAB_RESULTS",
        "job scripts (pi-scaling)",
        "where a scaling job writes its per-count results",
        "set by the job itself",
    ),
    Setting(
        "HPCLAB_COUNTS", "job scripts (pi-scaling)", "the rank counts a scaling step runs", "set by the job itself"
    ),
    Setting(
        "HPCLAB_JUPYTER_SMOKE",
        "jobscripts/jupyter.sh",
        "1: start JupyterLab in the job, check it answers, stop (the tests)",
        "0",
    ),
    Setting(
        "HPCLAB_SAMPLES",
        "job scripts (pi-scaling), also on the login node",
        "samples of each pi-scaling run (all its ranks together)",
        "400 million (about 10 s on one rank)",
    ),
    Setting("HPCLAB_DEPS", ".ci/run, Makefile", "locked (the tested versions) or latest (newest allowed)", "locked"),
    Setting(
        "HPCLAB_SCREENSHOTS", "browser tests", "where the browser tests save their screenshots", "results/screenshots/"
    ),
    Setting("HPCLAB_TEST_RUN", "tests (leak check)", "a tag every process of a test run inherits", "set by the tests"),
    Setting(
        "HPCLAB_VCLUSTER",
        "hpclab.slurm.vcluster (lesson 13)",
        "off: never start a virtual cluster; lesson 13 replays its recorded run (a room's machines, "
        "or a test of the replay)",
        "unset: start one where the machine can",
    ),
)

_BY_NAME = {setting.name: setting for setting in SETTINGS}

DATA = "HPCLAB_DATA"
DATA_SIZE = "HPCLAB_DATA_SIZE"
AIR_SOURCE = "HPCLAB_AIR_SOURCE"
SCRATCH = "HPCLAB_SCRATCH"
SCHEDULER_FILE = "HPCLAB_SCHEDULER_FILE"
CORES = "HPCLAB_CORES"
MPIEXEC = "HPCLAB_MPIEXEC"
MPI_AS_ROOT = "HPCLAB_MPI_AS_ROOT"
BWRAP = "HPCLAB_BWRAP"
SANDBOX_UID_BASE = "HPCLAB_SANDBOX_UID_BASE"
MEMORY_LIMIT = "HPCLAB_MEMORY_LIMIT"
SANDBOXED = "HPCLAB_SANDBOXED"
MPI_WORKER_PARENT = "HPCLAB_MPI_WORKER_PARENT"
IFACE = "HPCLAB_IFACE"
SITE = "HPCLAB_SITE"
VCLUSTER = "HPCLAB_VCLUSTER"


def setting(name: str) -> Setting:
    """The entry for ``name``; a name that is not listed is a bug in hpclab."""
    return _BY_NAME[name]


def current(env: Mapping[str, str]) -> dict[str, str]:
    """The course's variables that are set in ``env``, in the order of :data:`SETTINGS`."""
    return {s.name: env[s.name] for s in SETTINGS if s.name in env}


def markdown_table() -> str:
    """The table of docs/reference/settings.md (`hpclab reference` writes it; a test keeps it current)."""
    lines = ["| Variable | Read by | What it does | Default |", "|---|---|---|---|"]
    lines += [f"| `{s.name}` | {s.read_by} | {s.meaning} | {s.default} |" for s in SETTINGS]
    return "\n".join(lines)
