"""The status a graded question gets: one spelling for the CSV, the reports and the code.

``Status`` is a ``str`` enum: a member *is* its CSV spelling (``Status.PASSED == "passed"``,
``f"{Status.PASSED}" == "passed"``), so scores files, reports and JSON read and write the same
bytes as plain strings would, and a status read back from a scores CSV compares equal to one the
grader just decided. The first three are the checks' own verdicts (:data:`hpclab.checks.PASSED`
...), which a check displays in its payload; the others say why a check gave none.
"""

from __future__ import annotations

import enum

from hpclab import checks


class Status(enum.StrEnum):
    """What became of one question of one submission (its ``status`` column in the scores CSV)."""

    #: The check ran to the end and said the answer is right.
    PASSED = checks.PASSED
    #: The check ran to the end and said the answer is wrong.
    FAILED = checks.FAILED
    #: The check found the exercise's blank placeholder.
    NOT_ATTEMPTED = checks.NOT_ATTEMPTED
    #: The learner's cells before the check, or the check's own cell, raised; or it reported nothing.
    ERROR = "error"
    #: A cell ran past its time limit (or the notebook past its own) before the check could report.
    TIMEOUT = "timeout"
    #: The notebook's kernel exited, crashed or ran out of memory before the check could report.
    KERNEL_DIED = "kernel-died"
    #: The file is not a notebook, or no released lesson could be found for it.
    INVALID_NOTEBOOK = "invalid-notebook"
    #: The grader itself failed on this submission (not the learner's error): it counts as not
    #: graded (exit status 1), and ``--resume`` grades it again.
    GRADER_ERROR = "grader-error"


#: The statuses a learner's question can get, in the order tables and plots list them.
#: :attr:`Status.GRADER_ERROR` is left out: it is the grader's failure, not a result.
STATUSES: tuple[Status, ...] = tuple(s for s in Status if s is not Status.GRADER_ERROR)
