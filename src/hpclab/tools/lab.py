"""How the course starts JupyterLab: ``make lab`` and the browser tests use the same command.

On 127.0.0.1 only (reach it through an SSH tunnel), with a token, in the
course folder, without the news feed or the update check (course machines are
often offline, and the news prompt covers part of the page).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path


def lab_argv(
    root: str | os.PathLike, *, port: int | None = None, token: str | None = None, extra: Sequence[str] = ()
) -> list[str]:
    """The ``jupyter lab`` command line for the course rooted at ``root``."""
    argv = [
        str(Path(sys.executable).parent / "jupyter"),
        "lab",
        "--ServerApp.ip=127.0.0.1",
        "--no-browser",
        f"--ServerApp.root_dir={Path(root).resolve()}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if port is not None:
        argv.append(f"--ServerApp.port={port}")
    if token is not None:
        argv.append(f"--IdentityProvider.token={token}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")  # Jupyter refuses root unless told (containers, CI machines)
    return argv + list(extra)


def run_lab(root: str | os.PathLike, **options) -> None:
    """Replace this process by JupyterLab (see :func:`lab_argv`)."""
    argv = lab_argv(root, **options)
    os.execv(argv[0], argv)
