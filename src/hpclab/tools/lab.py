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
from typing import NoReturn


def lab_argv(
    root: str | os.PathLike[str], *, port: int | None = None, token: str | None = None, extra: Sequence[str] = ()
) -> list[str]:
    """The ``jupyter lab`` command line for the course rooted at ``root``.

    One place builds it, so ``make lab`` and the browser tests start the same server: on
    127.0.0.1 with a token, in ``root``, no news or update check. ``port`` and ``token``
    default to Jupyter's own choice (8888 or the next free port; a random token); ``extra``
    options go last, so they win over ours.
    """
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


def run_lab(
    root: str | os.PathLike[str], *, port: int | None = None, token: str | None = None, extra: Sequence[str] = ()
) -> NoReturn:
    """Replace this process by JupyterLab (see :func:`lab_argv`); never returns.

    ``exec`` rather than a child process: Ctrl-C and the terminal then reach JupyterLab itself,
    and no idle ``hpclab`` waits beside it.
    """
    argv = lab_argv(root, port=port, token=token, extra=extra)
    os.execv(argv[0], argv)
