"""Making the datasets: :func:`prepare` makes what is missing and verifies what exists; :func:`path` asks for one.

Several processes may ask at once (a room of kernels, the grader): one at a
time makes the data in a folder (a file lock), the others wait and then find
it made. Files are written to a staging folder and moved into place in one
step, and a dataset's manifest entry is dropped before it is made again, so
an interrupted run never leaves half-made files that look complete.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from hpclab.data.generators import DATASETS, SEED, Dataset, dataset
from hpclab.data.manifest import MANIFEST_FORMAT, entry_is_current, read_manifest, sha256, verify, write_manifest
from hpclab.data.paths import data_root, data_size, ensure_writable

if sys.platform != "win32":
    import fcntl


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Let one process at a time make data in ``folder`` (others wait, then find it made)."""
    if sys.platform == "win32":  # no advisory locks; concurrent runs are unlikely there
        yield
        return
    with open(folder / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _forget(folder: Path, name: str) -> None:
    """Before remaking a dataset: drop its manifest entry and leftovers of interrupted runs.

    If this run is interrupted too, the next one then makes the dataset again
    instead of reporting the half-replaced files as damaged.
    """
    manifest = read_manifest(folder)
    if manifest["datasets"].pop(name, None) is not None:
        write_manifest(folder, manifest)
    for leftover in folder.glob(f".{name}-*"):  # staging folders; we hold the lock, so none is in use
        shutil.rmtree(leftover, ignore_errors=True)


def _make(spec: Dataset, folder: Path, size: str, seed: int, bar) -> dict:
    """Write all files of one dataset next to ``folder`` and move them into place in one step."""
    staging = Path(tempfile.mkdtemp(prefix=f".{spec.name}-", dir=folder))
    try:
        files = {}
        for index, filename in enumerate(spec.filenames(size)):
            bar.set_postfix_str(f"{spec.name}/{filename}")
            spec.write(staging / filename, index, size, seed)
            files[f"{spec.name}/{filename}"] = {
                "sha256": sha256(staging / filename),
                "bytes": (staging / filename).stat().st_size,
            }
            bar.update(1)
        target = folder / spec.name
        if target.exists():
            shutil.rmtree(target)
        os.chmod(staging, 0o755)  # mkdtemp makes it 0700: others (a team, the grader's sandbox) read it too
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return {"version": spec.version, "seed": seed, "description": spec.description, "files": files}


@dataclass(frozen=True)
class Prepared:
    """What ``prepare`` did for one dataset."""

    name: str
    folder: Path
    files: int
    bytes: int
    seconds: float
    made: bool  # False: it was already there and matched the manifest


def prepare(
    names: list[str] | tuple[str, ...] | None = None,
    *,
    size: str | None = None,
    root: str | os.PathLike | None = None,
    seed: int = SEED,
    force: bool = False,
    progress: bool = False,
) -> list[Prepared]:
    """Make the named datasets (default: all) that are missing; verify the ones that exist.

    ``hpclab data prepare`` calls it: make everything ahead of time (on a
    login node, before a batch job), so lessons and jobs only read. Existing
    files are checked against the manifest. Datasets already there need no
    write access (a read-only shared folder is fine).

    Parameters
    ----------
    names : list or tuple of str, optional
        Datasets to prepare (default: all, see ``hpclab.data.DATASETS``).
    size : str, optional
        ``"small"`` or ``"full"`` (default: ``HPCLAB_DATA_SIZE``, else ``full``).
    root : str or os.PathLike, optional
        The data folder (default: ``HPCLAB_DATA``, else ``data/`` in the course root).
    seed : int, optional
        The generators' seed; another seed makes other data (and makes them again).
    force : bool, default False
        Make everything named again, even what is there and matches.
    progress : bool, default False
        Show a progress bar on stderr.

    Returns
    -------
    list of Prepared
        One per dataset, in the order asked: its folder, files, bytes, the
        seconds it took and whether it was made now.

    Raises
    ------
    DataError
        An unknown dataset or size, a folder that cannot be written, or a file
        that is missing or does not match the manifest (unless ``force``).
    """
    specs = [dataset(n) for n in (names or sorted(DATASETS))]
    size = data_size(size)
    folder = data_root(root) / size
    results: list[Prepared] = []

    def done(spec: Dataset, seconds: float, made: bool) -> None:
        entry = read_manifest(folder)["datasets"][spec.name]
        results.append(
            Prepared(
                spec.name,
                folder / spec.name,
                len(entry["files"]),
                sum(f["bytes"] for f in entry["files"].values()),
                seconds,
                made,
            )
        )

    todo = []
    for spec in specs:  # fast path, no writing: a read-only shared folder is fine
        entry = read_manifest(folder)["datasets"].get(spec.name) if folder.is_dir() else None
        if not force and entry_is_current(folder, entry, spec, size, seed):
            verify(spec.name, size=size, root=folder.parent)
            done(spec, 0.0, made=False)
        else:
            todo.append(spec)
    if not todo:
        return results

    ensure_writable(folder)
    total = sum(len(s.filenames(size)) for s in todo)
    with (
        _locked(folder),
        tqdm(total=total, desc=f"hpclab data ({size})", unit="file", disable=not progress, file=sys.stderr) as bar,
    ):
        for spec in todo:
            entry = read_manifest(folder)["datasets"].get(spec.name)
            if not force and entry_is_current(folder, entry, spec, size, seed):  # another process made it meanwhile
                bar.update(len(spec.filenames(size)))
                verify(spec.name, size=size, root=folder.parent)
                done(spec, 0.0, made=False)
                continue
            start = time.perf_counter()
            _forget(folder, spec.name)
            entry = _make(spec, folder, size, seed, bar)
            manifest = read_manifest(folder)
            manifest.update(format=MANIFEST_FORMAT, size=size)
            manifest["datasets"][spec.name] = entry
            write_manifest(folder, manifest)
            done(spec, time.perf_counter() - start, made=True)
    order = [s.name for s in specs]
    return sorted(results, key=lambda r: order.index(r.name))


def path(name: str, *, size: str | None = None, root: str | os.PathLike | None = None) -> Path:
    """The folder of a dataset, made first if missing and checked against the manifest.

    What lessons call: ``folder = hpclab.data.path("readings")``. The first
    call makes the dataset (and says so); later calls only verify it.

    Parameters
    ----------
    name : str
        The dataset: ``"readings"``, ``"people"`` or ``"air_temperature"``.
    size : str, optional
        ``"small"`` or ``"full"`` (default: ``HPCLAB_DATA_SIZE``, else ``full``).
    root : str or os.PathLike, optional
        The data folder (default: ``HPCLAB_DATA``, else ``data/`` in the course root).

    Returns
    -------
    Path
        The dataset's folder.

    Raises
    ------
    DataError
        An unknown dataset or size, a folder that cannot be written, or a file
        that no longer matches the manifest.
    """
    size = data_size(size)
    (result,) = prepare([name], size=size, root=root)
    if result.made:
        print(
            f"hpclab.data: made {name} ({size}, {result.files} files, {result.bytes / 1e6:.1f} MB) "
            f"in {result.seconds:.1f} s under {result.folder.parent}"
        )
    return result.folder
