"""The doctor's Python section: which interpreter, which package versions, how many cores, which settings."""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Mapping
from importlib import metadata

from hpclab import __version__, config
from hpclab.cluster import overruns, plan_layout, session
from hpclab.doctor.findings import FAIL, OK, WARN, Finding, plural


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def python_findings() -> list[Finding]:
    """Which interpreter, which package versions, how many cores."""
    where = f"virtual environment {sys.prefix}" if sys.prefix != sys.base_prefix else f"environment {sys.prefix}"
    found = [
        Finding(
            "Python",
            OK,
            f"Python {platform.python_version()} at {sys.executable} ({where})",
            details={"executable": sys.executable, "prefix": sys.prefix},
        )
    ]

    versions: dict[str, str | None] = {"hpclab": __version__}
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

    here = session()
    cores = here.cpus
    try:
        layout = plan_layout(of=here)
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
    details = {
        "cores": cores,
        "cpu_count": os.cpu_count(),
        "memory": here.memory,
        "workers": layout.n_workers,
        "threads_per_worker": layout.threads_per_worker,
        "memory_per_worker": layout.memory_limit,
    }
    limits = "; ".join(
        f"{limit.source}: {limit.amount}" for limit in here.cpu_limits if limit.amount < here.machine_cpus
    )
    said = (
        f"cores you may use: {cores} of {here.machine_cpus} in the machine{f' ({limits})' if limits else ''}, "
        f"memory {here.memory / 1024**3:.1f} of {here.machine_memory / 1024**3:.1f} GiB; "
        f"a local Dask cluster would run {plural(layout.n_workers, 'worker')} x "
        f"{plural(layout.threads_per_worker, 'thread')} ({layout.reason}), "
        f"{layout.memory_limit / 1024**3:.1f} GiB each"
    )
    too_much = overruns(layout, here)
    if too_much:
        found.append(
            Finding(
                "Python",
                WARN,
                f"{said}: more than this session may use ({'; '.join(too_much)})",
                f"ask for less: unset or lower {config.CORES}, OMP_NUM_THREADS or SLURM_CPUS_PER_TASK, or pass "
                "n_workers=, threads_per_worker=, memory_limit= to hpclab.cluster.start()",
                details={**details, "overruns": too_much},
            )
        )
    else:
        found.append(Finding("Python", OK, said + (f". {layout.note}" if layout.note else ""), details=details))
    found.append(settings_finding(os.environ))
    return found


def settings_finding(env: Mapping[str, str]) -> Finding:
    """The course's ``HPCLAB_*`` variables that are set here (see :mod:`hpclab.config`)."""
    chosen = config.current(env)
    if not chosen:
        return Finding("Python", OK, "no HPCLAB_* variables set: every default applies (docs/reference/settings.md)")
    shown = ", ".join(f"{name}={value}" for name, value in chosen.items())
    return Finding("Python", OK, f"settings: {shown}", details={"settings": chosen})
