"""The doctor's MPI section: which library mpi4py loaded, and whether the launchers belong to it.

The identification itself (vendor families, what a launcher's ``--version``
says, whether the two match) lives in :mod:`hpclab.mpi`, next to the code that
starts MPI programs; this section turns its answers into findings with fixes.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from hpclab import config
from hpclab.doctor.findings import FAIL, OK, WARN, Finding
from hpclab.mpi import (
    compare_launcher,
    family_of_vendor,
    find_mpiexec,
    identify_launcher,
    launcher_version,
    mpi_library,
)


def _fix_for_mismatch(source: str, lib_family: str) -> str:
    rebuild = (
        "or reinstall mpi4py against the MPI you want to use: load its module, then "
        "`pip install --no-binary=mpi4py --force-reinstall mpi4py`"
    )
    if source == config.MPIEXEC:
        beside = Path(sys.executable).parent / "mpiexec"
        target = f"`export HPCLAB_MPIEXEC={beside}`" if beside.exists() else f"the mpiexec of {lib_family}"
        return f"point HPCLAB_MPIEXEC at {lib_family}'s launcher ({target}) or unset it, {rebuild}"
    return (
        f"load the module of the MPI mpi4py was built with (`module load ...`) so its mpiexec comes first "
        f"on PATH, or set HPCLAB_MPIEXEC to {lib_family}'s mpiexec, {rebuild}"
    )


def mpi_findings(env: Mapping[str, str]) -> list[Finding]:
    """Which MPI library mpi4py loaded, and whether the launchers belong to it."""
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
        if env.get(config.MPIEXEC):
            source = config.MPIEXEC
        elif Path(launcher).parent == Path(sys.executable).parent:
            source = "next to this Python"
        else:
            source = "from PATH"
        text = launcher_version(launcher)
        status, said, fix = compare_launcher(library, launcher, text)
        if status == FAIL and not fix:
            fix = _fix_for_mismatch(source if source == config.MPIEXEC else "PATH", lib_family)
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
        text = launcher_version(on_path)
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
