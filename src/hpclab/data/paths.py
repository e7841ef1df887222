"""Where the data live and which size: the course root, the data folder, the scratch folder.

Standard library only: the grader and the CLI ask where the data are without
loading the scientific stack.

Where the data live: ``HPCLAB_DATA`` (default: ``data/`` in the course root),
one folder per size. Which size: the argument, else ``HPCLAB_DATA_SIZE``, else
``full``. Files lessons write go to ``HPCLAB_SCRATCH``, else ``scratch/``
beside the data.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hpclab import config
from hpclab.data.errors import DataError

SIZES = ("small", "full")
DEFAULT_SIZE = "full"


def course_root(start: str | os.PathLike | None = None) -> Path:
    """The folder holding ``solutions/`` and ``notebooks/`` above ``start`` (default: cwd), else ``start``.

    Kernels run in ``notebooks/``, the CLI in the course root: both find the
    same course by walking up.

    Parameters
    ----------
    start : str or os.PathLike, optional
        Where to start looking (default: the current directory).

    Returns
    -------
    Path
        The first folder at or above ``start`` with both ``solutions/`` and
        ``notebooks/`` in it; ``start`` itself (resolved) when there is none.
    """
    here = Path.cwd() if start is None else Path(start)
    here = here.resolve()
    for folder in (here, *here.parents):
        if (folder / "solutions").is_dir() and (folder / "notebooks").is_dir():
            return folder
    return here


def data_root(root: str | os.PathLike | None = None) -> Path:
    """The data folder: ``root``, else ``HPCLAB_DATA``, else ``data/`` in the course root.

    Parameters
    ----------
    root : str or os.PathLike, optional
        The data folder to use; a relative ``HPCLAB_DATA`` is read from the
        course root.

    Returns
    -------
    Path
        The data folder (it holds one folder per size), resolved.
    """
    chosen = root if root is not None else os.environ.get(config.DATA) or None
    if chosen is None:
        return course_root() / "data"
    path = Path(chosen).expanduser()
    if root is None and not path.is_absolute():
        # Kernels run in notebooks/, the CLI in the course root: a relative
        # HPCLAB_DATA would point at two places. Read it from the course root.
        path = course_root() / path
    return path.resolve()


def data_size(size: str | None = None) -> str:
    """The dataset size to use: ``size``, else ``HPCLAB_DATA_SIZE``, else ``full``.

    Parameters
    ----------
    size : str, optional
        ``"small"`` (tests, a second or two per dataset) or ``"full"`` (the
        workshop); case and surrounding spaces do not matter.

    Returns
    -------
    str
        ``"small"`` or ``"full"``.

    Raises
    ------
    DataError
        The size (given, or from ``HPCLAB_DATA_SIZE``) is neither.
    """
    from_env = size is None
    chosen = (os.environ.get(config.DATA_SIZE) or DEFAULT_SIZE) if size is None else size
    chosen = chosen.strip().lower()
    if chosen not in SIZES:
        where = f" (from {config.DATA_SIZE})" if from_env else ""
        raise DataError(f"Unknown data size {chosen!r}{where}: use 'small' (quick tests) or 'full' (the workshop).")
    return chosen


def ensure_writable(folder: Path) -> None:
    """Make ``folder`` if needed and check that a file can be written there; else DataError saying what to do."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise DataError(
            f"Cannot write to the data folder {folder} ({reason}). Set {config.DATA} to a folder you can "
            "write to, or pass --dir to `hpclab data prepare`."
        ) from None


def scratch_dir(root: str | os.PathLike | None = None) -> Path:
    """A folder for files lessons write (Parquet copies, filtered records).

    ``HPCLAB_SCRATCH`` wins (the grader gives every notebook its own, so
    notebooks graded side by side never overwrite each other's files); else
    ``scratch/`` beside the data.

    Parameters
    ----------
    root : str or os.PathLike, optional
        A data folder: use ``scratch/`` in it (``HPCLAB_SCRATCH`` is then
        ignored).

    Returns
    -------
    Path
        The scratch folder, made if missing.

    Raises
    ------
    DataError
        The folder cannot be made or written to.
    """
    own = os.environ.get(config.SCRATCH) if root is None else None
    folder = Path(own).expanduser().resolve() if own else data_root(root) / "scratch"
    ensure_writable(folder)
    return folder
