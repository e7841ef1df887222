"""Register the course environment as a Jupyter kernel (for JupyterHub and Open OnDemand).

On a site's JupyterHub or Open OnDemand, JupyterLab itself comes from the
site; the course's packages live in our virtual environment. Registering that
environment as a kernel once (``hpclab kernel install``, or ``make kernel``)
makes "Python (hpclab)" appear in the site's Launcher and in Kernel > Change
Kernel.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hpclab.errors import UsageError

NAME = "hpclab"
DISPLAY_NAME = "Python (hpclab)"


def kernel_env() -> dict[str, str]:
    """Environment for the registered kernel: this environment's bin/ first on PATH.

    ``${PATH}`` is filled in by jupyter_client when the kernel starts, so the
    site's own PATH (modules, Slurm commands) is kept behind ours.
    """
    return {"PATH": str(Path(sys.executable).parent) + os.pathsep + "${PATH}"}


def install(
    *,
    user: bool = True,
    prefix: str | os.PathLike[str] | None = None,
    name: str = NAME,
    display_name: str = DISPLAY_NAME,
) -> Path:
    """Install a kernelspec that runs this Python; return the folder it was written to.

    ``prefix`` installs into ``PREFIX/share/jupyter/kernels`` (e.g. another
    environment's ``sys.prefix``); otherwise into the user's Jupyter data
    folder (``user=True``, the default) or the system-wide one.

    Raises
    ------
    UsageError
        ``name`` holds characters Jupyter does not allow in a kernel name.
    """
    from ipykernel.kernelspec import install as ipykernel_install  # noqa: PLC0415  jupyter_client, zmq: ~0.1 s

    if not name.replace("-", "").replace("_", "").isalnum():
        raise UsageError(f"kernel name {name!r}: use letters, digits, - and _ only (Jupyter's rule)")
    where = ipykernel_install(
        user=user and prefix is None,
        kernel_name=name,
        display_name=display_name,
        prefix=None if prefix is None else str(prefix),
        env=kernel_env(),
    )
    return Path(where)
