"""The learners' files: which ones a room holds, and reading one without trusting it.

A submission is whatever a learner handed in: it may not be JSON, may not be a notebook, and its
``hpclab`` metadata may hold any JSON value. Reading one never raises for what the file holds; a
problem is returned for the instructor instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import nbformat

from hpclab.grading.release import GradeError


def collect(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Submission files: notebooks named directly, or every *.ipynb in a named folder."""
    found: list[Path] = []
    for item in map(Path, paths):
        if item.is_dir():
            found += sorted(p for p in item.glob("*.ipynb") if not p.name.startswith("."))
        elif item.exists():
            found.append(item)
        else:
            raise GradeError(f"{item}: no such file or folder")
    if not found:
        raise GradeError("no submissions to grade (give notebooks or folders of notebooks)")
    return found


def read_submission(path: Path) -> tuple[nbformat.NotebookNode | None, str | None, str]:
    """(notebook, lesson, problem): problem is '' when the file is usable."""
    try:
        nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
        nbformat.validate(nb)
    except Exception as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return (
            None,
            None,
            f"{path}: not a valid notebook ({first_line}); ask the learner to re-download it from JupyterLab (File > Download)",
        )
    hpclab_metadata = nb.metadata.get("hpclab", {})
    lesson = hpclab_metadata.get("lesson") if isinstance(hpclab_metadata, dict) else None
    return nb, (str(lesson) if lesson else None), ""
