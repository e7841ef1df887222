"""Each question's status and hint, decided from an executed, check-restored notebook.

Only the restored check's own report counts: a display of this lesson, for a question of its
own cell, carrying the run's secret token, sent exactly once. When there is none, the way the run
ended (a timeout, a dead kernel, an error in the learner's cells, output cut for its size) says
why, and the hint tells the learner where to look.
"""

from __future__ import annotations

from collections.abc import Sequence

import nbformat

from hpclab.checks import MIME_TYPE
from hpclab.grading.execute import RunStatus
from hpclab.grading.release import Release
from hpclab.grading.status import Status

#: What a learner reads for a status that the cells before a check (or the file itself) caused.
HINTS: dict[str, str] = {
    Status.TIMEOUT: "a cell before this check ran past the time limit and was interrupted: look for an endless "
    "loop or a computation far bigger than asked",
    Status.KERNEL_DIED: "the notebook's kernel died before this check ran (it exited, crashed or used too much memory)",
    Status.ERROR: "your code in the cells before this check raised {errors}: run them top to bottom and fix it",
    Status.INVALID_NOTEBOOK: "the file could not be read as a notebook: download it again from JupyterLab "
    "(File > Download)",
}
# What a learner reads when the check's own cell went wrong (by status, or by what went wrong).
_CHECK_HINTS: dict[str, str] = {
    Status.TIMEOUT: "this check ran past the time limit and was interrupted: look for an endless loop in your answer",
    Status.KERNEL_DIED: "the notebook's kernel died while this check ran (your answer exited, crashed or used too "
    "much memory)",
    "cut": "this check's output was cut because your code printed too much while it ran: print less",
    "unfinished": "this check did not finish (its cell raised {errors}): run it again and let it finish",
    "silent": "this check reported no result: its cell raised {errors} or its output was hidden",
    "reported": "this check's result was reported {times} times: only the check itself may display it, "
    "so code of yours displayed one too; remove that code and grade again",
}
# The statuses a check's payload may carry (the checks' own verdicts).
_VERDICTS = (Status.PASSED, Status.FAILED, Status.NOT_ATTEMPTED)


def _error_names(cell) -> list[str]:
    return [o.get("ename", "") for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def statuses(
    executed: nbformat.NotebookNode, release: Release, run_status: str, timed_out_cells: Sequence[int], **kwargs
) -> dict[str, Status]:
    """Each question's status from an executed, check-restored notebook (see :func:`assess`)."""
    return assess(executed, release, run_status, timed_out_cells, **kwargs)[0]


def _questions_by_cell(release: Release) -> dict[str, set[str]]:
    """Check cell id -> the ids of the questions that cell checks."""
    found: dict[str, set[str]] = {}
    for qid, cell_id in release.check_cell_of.items():
        found.setdefault(cell_id, set()).add(qid)
    return found


def _check_payload(output, lesson: str, questions: set[str], token: str | None) -> dict | None:
    """The check result ``output`` holds, or None unless it is one the restored check itself emits:
    a display of this lesson, for a question of this cell, carrying this run's token."""
    if output.get("output_type") != "display_data":
        return None
    payload = output.get("data", {}).get(MIME_TYPE)
    if not isinstance(payload, dict) or payload.get("lesson") != lesson:
        return None
    if not isinstance(payload.get("id"), str) or payload["id"] not in questions:  # learner output may hold anything
        return None
    if payload.get("token") != token or payload.get("status") not in _VERDICTS:
        return None
    return payload


def assess(
    executed: nbformat.NotebookNode,
    release: Release,
    run_status: str,
    timed_out_cells: Sequence[int],
    *,
    replies: dict[int, str] | None = None,
    cut_cells: Sequence[int] = (),
    token: str | None = None,
    reported: dict[int, list] | None = None,
) -> tuple[dict[str, Status], dict[str, str]]:
    """(status, hint) of each question from an executed, check-restored notebook.

    A question's result is the last payload its own check cell holds that
    the restored check emitted (see :func:`_check_payload`): payloads in other
    cells, for other questions or without ``token`` are ignored, and a
    learner's display before the check's own result is overridden by it.
    It passes only when that cell also finished without error (``replies``:
    cell index -> execute_reply status, as :class:`~hpclab.grading.execute.Execution`
    has them) and its output was not cut. With ``reported`` (cell index -> every check report the
    cell sent, as :class:`~hpclab.grading.execute.Execution` has them), it passes only when its check cell sent
    exactly one report for it with the token: the check's own. Learner code still running in the
    check cell (a ``__del__``, a hook, a thread) can read the token and display a report of its own
    after the real one, but it cannot take the real one back, so a forgery always makes two.
    """
    replies = replies or {}
    questions_of_cell = _questions_by_cell(release)
    reports: dict[str, dict] = {}
    check_index: dict[str, int] = {}
    region_of: dict[str, list[int]] = {}
    region: list[int] = []
    for index, cell in enumerate(executed.cells):
        if cell.get("id") in questions_of_cell:
            for output in cell.get("outputs", []):
                payload = _check_payload(output, release.lesson, questions_of_cell[cell.id], token)
                if payload is not None:
                    reports[payload["id"]] = payload
            check_index[cell.id] = index
            region_of[cell.id] = region
            region = []
        elif cell.cell_type == "code":
            region.append(index)
    result: dict[str, Status] = {}
    hints: dict[str, str] = {}
    for question in release.questions:
        cell_id = release.check_cell_of[question.id]
        status, hint = _question_status(
            executed,
            reports.get(question.id),
            check_index.get(cell_id),
            region_of.get(cell_id, []),
            run_status,
            timed_out_cells,
            replies,
            cut_cells,
        )
        sent = _reports_sent(reported, check_index.get(cell_id), question.id, token)
        if status == Status.PASSED and sent != 1:
            status, hint = Status.FAILED, _CHECK_HINTS["reported"].format(times=sent)
        result[question.id], hints[question.id] = status, hint
    return result, hints


def _reports_sent(reports: dict[int, list] | None, check: int | None, qid: str, token: str | None) -> int:
    """How many reports for question ``qid`` carrying ``token`` cell ``check`` sent (1 when not tracked)."""
    if reports is None:
        return 1
    sent = reports.get(check, []) if check is not None else []
    return sum(1 for r in sent if isinstance(r, dict) and r.get("id") == qid and r.get("token") == token)


def _question_status(
    executed: nbformat.NotebookNode,
    payload: dict | None,
    check: int | None,
    region: list[int],
    run_status: str,
    timed_out_cells: Sequence[int],
    replies: dict[int, str],
    cut_cells: Sequence[int],
) -> tuple[Status, str]:
    """(status, hint) of one question from its check cell (index ``check``) and the learner cells before it."""
    learner_errors = [
        name for i in region for name in _error_names(executed.cells[i]) if name not in ("NotImplementedError", "")
    ]
    check_errors = _error_names(executed.cells[check]) if check is not None else []
    reply = replies.get(check) if check is not None else None
    named = ", ".join(sorted(set(check_errors))) or "an error"
    if payload and payload["status"] == Status.PASSED and reply == "ok" and check not in cut_cells:
        return Status.PASSED, str(payload.get("message", ""))
    if check in timed_out_cells:
        return Status.TIMEOUT, _CHECK_HINTS[Status.TIMEOUT]
    if any(i in timed_out_cells for i in region) or (reply is None and run_status == RunStatus.TIMEOUT):
        return Status.TIMEOUT, HINTS[Status.TIMEOUT]
    if reply is None and run_status == RunStatus.KERNEL_DIED:
        hint = _CHECK_HINTS[Status.KERNEL_DIED] if _ran(executed, check) else HINTS[Status.KERNEL_DIED]
        return Status.KERNEL_DIED, hint
    if check in cut_cells:
        return Status.ERROR, _CHECK_HINTS["cut"]
    if learner_errors:
        return Status.ERROR, HINTS[Status.ERROR].format(errors=", ".join(sorted(set(learner_errors))))
    if payload is None:
        return Status.ERROR, _CHECK_HINTS["silent"].format(errors=named)
    if payload["status"] == Status.PASSED:  # the check said so, but its cell did not finish cleanly
        return Status.ERROR, _CHECK_HINTS["unfinished"].format(errors=named)
    return Status(payload["status"]), str(payload.get("message", ""))


def _ran(executed: nbformat.NotebookNode, index: int | None) -> bool:
    """Whether cell ``index`` started running (it has outputs)."""
    return index is not None and bool(executed.cells[index].get("outputs"))
