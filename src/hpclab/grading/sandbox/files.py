"""Walking, sizing, handing over and removing a folder a submission may have filled.

A submission may nest folders deeper than Python's recursion limit or longer
than a path may be (in its socket folder while the kernel starts, or anywhere
without root): every walk here is without recursion, and what it cannot read
is an error, never skipped, for a caller counting memory must not miss what it
cannot see.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

from hpclab.grading.sandbox.errors import SandboxError


def tree(top: Path) -> Iterator[str]:
    """``top`` and every path under it, parents first, without recursion (any depth).

    Fails (``OSError``) on what it cannot read, a path longer than the system
    allows among them: a caller counting memory must not skip what it cannot see.
    """
    pending = [str(top)]
    while pending:
        path = pending.pop()
        yield path
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            continue
        if stat.S_ISDIR(info.st_mode):
            try:
                names = os.listdir(path)
            except FileNotFoundError:
                continue
            pending.extend(os.path.join(path, name) for name in names)


def folder_bytes(top: Path, limit: int) -> int:
    """Bytes the files under ``top`` take on disk, each entry at least a block (empty files too).

    Stops counting past ``limit``: a folder filled with millions of files is
    over any limit long before it is walked through. Raises what the walk
    cannot read (see :func:`tree`).
    """
    total = 0
    for path in tree(top):
        if path == str(top):
            continue
        try:
            total += max(os.lstat(path).st_blocks * 512, 4096)
        except FileNotFoundError:
            continue
        if total > limit:
            return total
    return total


def chown_tree(top: Path, uid: int) -> None:
    """Give ``top`` and all under it to ``uid`` (its group too; symbolic links themselves, not their targets)."""
    os.chown(top, uid, uid)
    for folder, dirs, files in os.walk(top):
        for name in dirs + files:
            os.chown(os.path.join(folder, name), uid, uid, follow_symlinks=False)


def remove_tree(top: Path) -> None:
    """Remove ``top`` and all under it, however deep (``shutil.rmtree`` recurses and gives up).

    A sandbox may have nested folders deeper than Python's recursion limit or
    longer than a path may be: ``rm -rf`` (coreutils) walks them by file
    descriptor. Raises :class:`SandboxError` when ``top`` is still there.
    """
    top = Path(top)
    try:
        shutil.rmtree(top)
    except FileNotFoundError:
        return
    except (OSError, RecursionError):
        subprocess.run(["rm", "-rf", "--one-file-system", "--", str(top)], capture_output=True, check=False)
    if os.path.lexists(top):
        raise SandboxError(f"could not remove {top}: remove it by hand (`rm -rf {top}`)")
