"""The manifest of one size folder: which files each dataset has, with a sha256 checksum per file.

``hpclab data prepare`` writes ``manifest.json`` as it makes the data; a file
that no longer matches its checksum is reported (:func:`verify`), never
silently used.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from hpclab.data.errors import DataError
from hpclab.data.generators import Dataset, dataset
from hpclab.data.paths import data_root, data_size

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1


def sha256(path: str | os.PathLike) -> str:
    """Hex sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(folder: str | os.PathLike) -> dict:
    """The manifest of one size folder (empty if there is none yet)."""
    path = Path(folder) / MANIFEST
    if not path.exists():
        return {"format": MANIFEST_FORMAT, "datasets": {}}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(manifest.get("datasets"), dict):
            raise ValueError("no 'datasets' table")
    except ValueError as exc:
        raise DataError(
            f"{path} is not a valid manifest ({exc}). Delete it and run "
            f"`hpclab data prepare --size {Path(folder).name} --force` to make the data again."
        ) from None
    return manifest


def write_manifest(folder: Path, manifest: dict) -> None:
    """Replace the manifest of ``folder`` in one step, readable by everyone like the data files."""
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    with tempfile.NamedTemporaryFile("w", dir=folder, prefix=".manifest-", delete=False, encoding="utf-8") as tmp:
        tmp.write(text)
    # Readable like the data files (a temporary file is 0600): a shared data folder, or the grader's
    # sandbox running as another uid, must be able to read it.
    os.chmod(tmp.name, 0o644)
    os.replace(tmp.name, folder / MANIFEST)  # readers never see half a manifest


def entry_is_current(folder: Path, entry: dict | None, spec: Dataset, size: str, seed: int) -> bool:
    """True if the manifest lists this generator's files and they are all there (not yet checksummed)."""
    if not entry or entry.get("version") != spec.version or entry.get("seed") != seed:
        return False
    files = sorted(entry.get("files", {}))
    expected = sorted(f"{spec.name}/{f}" for f in spec.filenames(size))
    return files == expected and all((folder / f).is_file() for f in files)


def verify(name: str, *, size: str | None = None, root: str | os.PathLike | None = None) -> Path:
    """Check every file of a prepared dataset against the manifest; return its folder.

    Raises DataError naming the first file that is missing or whose sha256
    differs from the one recorded when it was made.
    """
    dataset(name)  # raises DataError, with the known names, for an unknown one
    size = data_size(size)
    folder = data_root(root) / size
    entry = read_manifest(folder)["datasets"].get(name)
    if not entry:
        raise DataError(f"{name} ({size}) is not prepared in {folder}: run `hpclab data prepare --size {size}`.")
    for relative, expected in sorted(entry["files"].items()):
        path = folder / relative
        if not path.is_file():
            raise DataError(f"{path} is missing. Run `hpclab data prepare --size {size}` to make it again.")
        actual = sha256(path)
        if actual != expected["sha256"]:
            raise DataError(
                f"{path} does not match the manifest (sha256 {actual[:12]}… instead of "
                f"{expected['sha256'][:12]}…): it was changed or damaged after it was made. "
                f"Make it again with `hpclab data prepare --size {size} --force` "
                f"(or delete {folder / name} and rerun the lesson)."
            )
    return folder / name
