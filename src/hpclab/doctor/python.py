"""The doctor's Python section: which interpreter, which package versions, how many cores, which settings."""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Mapping
from importlib import metadata

from hpclab import __version__, config
from hpclab.cluster import available_cores, plan_layout
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
            f"{plural(layout.n_workers, 'worker')} x {plural(layout.threads_per_worker, 'thread')} ({layout.reason})",
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
        return Finding("Python", OK, "no HPCLAB_* variables set: every default applies (docs/reference/settings.md)")
    shown = ", ".join(f"{name}={value}" for name, value in chosen.items())
    return Finding("Python", OK, f"settings: {shown}", details={"settings": chosen})
