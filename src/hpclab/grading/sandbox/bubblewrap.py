"""Bubblewrap, the program that makes a sandbox's namespaces: where it is, and whether it works here.

A sandbox needs Linux, bubblewrap (``bwrap``, or the program :data:`config.BWRAP`
names) and, as root, util-linux's ``setpriv`` and ``prlimit``. Whether
bubblewrap can make namespaces on this machine (a container or a kernel may
refuse them) is learned by starting a trivial sandbox once.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys

from hpclab import config
from hpclab.grading.sandbox.uids import is_root


def bwrap_program() -> str | None:
    """The bubblewrap program: :data:`config.BWRAP` when set, else ``bwrap`` on ``PATH`` (None when neither)."""
    return os.environ.get(config.BWRAP) or shutil.which("bwrap")


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
            f"or set {config.BWRAP} to its path)"
        )
    if is_root():
        for tool in ("setpriv", "prlimit"):
            if not shutil.which(tool):
                return f"{tool} (util-linux) is not installed"
    return _probe(program, is_root())
