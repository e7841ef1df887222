"""Put the released check cells back into a learner's notebook before it runs.

A learner cannot delete or edit a check: whatever the submission holds in their place (the
tagged cells, edited copies, cells pasted into a new notebook, cells that only call checks) is
dropped, and each released check goes back after the learner's copy of the cell before it in the
release. Each restored check imports its checks afresh and carries the grading run's secret
token, so a learner's code cannot swap a check or forge its result (see
:func:`fresh_check_source`).
"""

from __future__ import annotations

import copy
import re
import textwrap
from collections.abc import Collection, Sequence
from pathlib import Path

import nbformat

from hpclab.grading.release import CHECK_CALL, is_check_cell


def fresh_check_source(
    cell_source: str,
    module: str,
    token: str | None = None,
    hidden_file: Path | None = None,
    hidden_for: Collection[str] = (),
) -> str:
    """A check cell that uses the checks as installed, not as the learner's kernel has them.

    The exercise imports ``check_qN`` in a cell the learner can edit, and
    learner code could replace a check function or patch its module. So the
    grader drops every ``hpclab.checks`` module from the kernel's import cache
    and imports the called checks afresh right before calling them. IPython
    event hooks the learner registered (before, or from code the check calls)
    could display a forged result after the check's own: none of them runs in
    this cell (they are back for the learner's later cells). ``token`` is the
    grading run's secret: the fresh checks put it in their payloads. (Code
    that deliberately patches Python or IPython itself can still cheat: no
    in-kernel grader can stop that; pair grading with an honour code.) With ``hidden_file``,
    each called check whose question is in ``hidden_for`` is followed by its hidden check
    (:func:`hpclab.checks.hidden.then_hidden`).
    """
    names = sorted(set(CHECK_CALL.findall(cell_source)))
    imports = ", ".join(f"check_{n}" for n in names)
    token_line = f"_hpclab_checks.grade_with({token!r})\n" if token else ""
    if hidden_file is not None and any(n in hidden_for for n in names):
        token_line += "import hpclab.checks.hidden as _hpclab_hidden\n" + "".join(
            f"check_{n} = _hpclab_hidden.then_hidden(check_{n}, {str(hidden_file)!r}, {n!r})\n"
            for n in names
            if n in hidden_for
        )
    return (
        "from IPython.core.getipython import get_ipython as _hpclab_get_ipython\n"
        "import sys as _hpclab_sys\n"
        "_hpclab_events = _hpclab_get_ipython().events\n"
        "_hpclab_hooks = _hpclab_events.callbacks\n"
        "_hpclab_events.callbacks = {_hpclab_e: [] for _hpclab_e in _hpclab_hooks}\n"
        "for _hpclab_m in [m for m in _hpclab_sys.modules if m == 'hpclab.checks' or m.startswith('hpclab.checks.')]:\n"
        "    del _hpclab_sys.modules[_hpclab_m]\n"
        f"from {module} import {imports}\n"
        "import hpclab.checks as _hpclab_checks\n"
        f"{token_line}"
        "try:\n" + textwrap.indent(cell_source.strip() or "pass", "    ") + "\nfinally:\n"
        # Hooks registered while the check ran are dropped; the learner's own come back after this cell.
        "    _hpclab_events.callbacks = {_hpclab_e: [] for _hpclab_e in _hpclab_hooks}\n"
        "    _hpclab_events.callbacks['post_run_cell'].append(\n"
        "        lambda *_a, _h=_hpclab_hooks, _e=_hpclab_events: setattr(_e, 'callbacks', _h)\n"
        "    )\n"
    )


def normalized_source(source: str) -> str:
    """A cell's source as compared with the release's: no trailing spaces, no blank lines around it."""
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def _looks_like_check(cell, check_sources: set[str]) -> bool:
    """A learner's copy of a check cell (its tag or id lost): the released source, or only check calls."""
    if cell.get("cell_type") != "code":
        return False
    source = normalized_source(cell.get("source", ""))
    if source in check_sources:
        return True
    lines = [ln.strip() for ln in source.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    return bool(lines) and all(re.fullmatch(r"check_\w+\s*\(.*\)\s*;?", ln) for ln in lines)


def match_cells(learner_cells: Sequence, release: nbformat.NotebookNode) -> dict[int, int]:
    """Release cell index -> index of the learner's copy of it: by cell id, else by unchanged content.

    Content matching (in order, never going back) finds cells a learner copied
    into a new notebook, where every cell got a new id: the prose and the
    unchanged code still match, the answers (changed) do not.
    """
    by_id = {c.get("id"): i for i, c in enumerate(learner_cells)}
    matched: dict[int, int] = {}
    for r, cell in enumerate(release.cells):
        if not is_check_cell(cell) and cell.get("id") in by_id:
            matched[r] = by_id[cell.get("id")]
    used = set(matched.values())
    cursor = 0
    for r, cell in enumerate(release.cells):
        if r in matched:
            cursor = matched[r] + 1
            continue
        if is_check_cell(cell) or not cell.get("source", "").strip():
            continue
        wanted = normalized_source(cell.source)
        for i in range(cursor, len(learner_cells)):
            if (
                i not in used
                and learner_cells[i].get("cell_type") == cell.cell_type
                and normalized_source(learner_cells[i].get("source", "")) == wanted
            ):
                matched[r] = i
                used.add(i)
                cursor = i + 1
                break
    return matched


def restore_checks(
    learner: nbformat.NotebookNode,
    release: nbformat.NotebookNode,
    token: str | None = None,
    hidden_file: Path | None = None,
    hidden_for: Collection[str] = (),
) -> nbformat.NotebookNode:
    """The learner's cells with the released check cells put back in place.

    Any cell that is (or pretends to be, or is a copy of) a check is dropped;
    each released check goes right after the learner's copy of the cell that
    precedes it in the release. When that cell has no copy (deleted, or
    copied under a new id and edited), the check goes right before the
    learner's copy of the next release cell found (the next question's text),
    else after the previous check. Each check imports its functions afresh
    and carries ``token``; with ``hidden_file``, the questions in ``hidden_for`` run their
    hidden checks after the visible ones (see :func:`fresh_check_source`).
    """
    module = release.metadata.get("hpclab", {}).get("checks")
    released_checks = {c.id for c in release.cells if is_check_cell(c)}
    check_sources = {normalized_source(c.source) for c in release.cells if is_check_cell(c)}
    cells = [
        copy.deepcopy(c)
        for c in learner.cells
        if not is_check_cell(c) and c.get("id") not in released_checks and not _looks_like_check(c, check_sources)
    ]
    matched = match_cells(cells, release)
    placed: list[tuple[float, int, nbformat.NotebookNode]] = []
    anchor = -1.0
    for order, cell in enumerate(release.cells):
        if is_check_cell(cell):
            restored = copy.deepcopy(cell)
            if module:
                restored.source = fresh_check_source(cell.source, module, token, hidden_file, hidden_for)
            here = anchor
            if order - 1 not in matched:
                following = [matched[r] for r in range(order + 1, len(release.cells)) if r in matched]
                here = max(anchor, following[0] - 1.0) if following else max(anchor, len(cells) - 1.0)
            placed.append((here, order, restored))
            anchor = here
        elif order in matched:
            anchor = max(anchor, float(matched[order]))
    merged = copy.deepcopy(learner)
    merged.cells = []
    queue = sorted(placed, key=lambda item: (item[0], item[1]))
    for index in range(-1, len(cells)):
        if index >= 0:
            merged.cells.append(cells[index])
        while queue and queue[0][0] <= index:
            merged.cells.append(queue.pop(0)[2])
    return merged
