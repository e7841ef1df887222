"""The table of right and wrong answers every lesson's checks are proven against.

Each ``tests/checks/test_answers_<module>.py`` holds the answers to one checks
module (``test_answers_futures.py`` for ``hpclab.checks.futures``): for every
question at least one plausible wrong answer, which must fail with the hint a
learner would see (a piece of the ❌ line), and at least one correct answer that
differs from the solution notebook's, which must pass. The answers are real:
Dask answers run on a small local cluster the module starts on first use, MPI
answers under real mpiexec. Inputs are kept tiny so each table runs in a minute
or two.

What the tables share lives here: :class:`Answers` (one lesson's table),
:class:`Inputs` (the inputs its answers are made from, and the cluster they run
on), :class:`AlwaysEqual` and the verdict every case is held to. The fixture
``ctx`` (``tests/checks/conftest.py``) makes a module's ``Inputs``.
``tests/checks/test_answers_cover_every_question.py`` holds every table to its
lesson's questions.

Functions the checks read with ``inspect.getsource`` (or send to workers and MPI
ranks) are defined at the top level of the answer modules; each registers itself
with ``cloudpickle.register_pickle_by_value``, so worker processes need not
import it.
"""

from __future__ import annotations

import functools
import importlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from hpclab.checks import questions_of

#: Every lesson with a table of answers, and its checks module. (09b's checks are
#: proven in tests/checks/test_heat_checks.py, question by question.)
LESSONS = {
    "00-setup": "hpclab.checks.setup",
    "01-parallel-concepts": "hpclab.checks.concepts",
    "02-dask-futures": "hpclab.checks.futures",
    "03-dask-arrays": "hpclab.checks.arrays",
    "04-dask-dataframes": "hpclab.checks.dataframes",
    "04b-dask-diagnostics-memory": "hpclab.checks.diagnostics",
    "05-dask-bags": "hpclab.checks.bags",
    "06-xarray-dask": "hpclab.checks.xarray_dask",
    "07-dask-ml": "hpclab.checks.ml",
    "08-mpi-point-to-point": "hpclab.checks.p2p",
    "09-mpi-collectives": "hpclab.checks.collectives",
    "10-dask-on-slurm": "hpclab.checks.slurm",
    "11-dask-to-mpi": "hpclab.checks.handoff",
    "12-capstone": "hpclab.checks.capstone",
    "13-break-it-fix-it": "hpclab.checks.breakfix",
}

#: The first lines of an MPI answer (lessons 08 and 09).
MPI_HEAD = "import numpy as np\nfrom mpi4py import MPI\ncomm = MPI.COMM_WORLD\n"


def table_module(checks_module: str) -> str:
    """The test module that holds the answers to ``checks_module`` (``hpclab.checks.futures``)."""
    return f"tests.checks.test_answers_{checks_module.rpartition('.')[2]}"


class AlwaysEqual:
    """An answer that claims to equal anything: it must never pass a value check."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = object.__hash__

    def __repr__(self):
        return "AlwaysEqual()"


@dataclass(frozen=True)
class Case:
    """One answer to one question, and what its check must say."""

    lesson: str
    qid: str
    label: str
    answer: Callable[[Any], tuple]  # ctx -> the check's arguments
    hint: str | None = None  # None: a right answer that must pass; else part of the ❌ message
    fast: bool = False  # True: needs no cluster and no MPI

    @property
    def right(self) -> bool:
        return self.hint is None

    def param(self):
        """The case as a pytest parameter: id ``02-q4-wrong-<label>``, marked slow unless fast."""
        kind = "right" if self.right else "wrong"
        marks = () if self.fast else (pytest.mark.slow,)
        return pytest.param(self, id=f"{self.lesson.split('-')[0]}-{self.qid}-{kind}-{self.label}", marks=marks)


class Answers:
    """The table of right and wrong answers to the questions of one lesson."""

    def __init__(self, lesson: str) -> None:
        self.lesson = lesson
        self.module = LESSONS[lesson]
        self.cases: list[Case] = []

    def right(self, qid: str, label: str, answer: Callable[[Any], tuple], fast: bool = False) -> None:
        """Add an answer to question ``qid`` that must pass (``answer(ctx)`` gives the check's arguments)."""
        self.cases.append(Case(self.lesson, qid, label, answer, None, fast))

    def wrong(self, qid: str, label: str, answer: Callable[[Any], tuple], hint: str, fast: bool = False) -> None:
        """Add an answer to question ``qid`` that must fail with ``hint`` in its ❌ line."""
        self.cases.append(Case(self.lesson, qid, label, answer, hint, fast))

    def params(self) -> list:
        """Every case as a pytest parameter, for ``@pytest.mark.parametrize("case", ...)``."""
        return [case.param() for case in self.cases]

    def missing(self) -> list[str]:
        """The questions of the lesson that lack a wrong or a right answer (empty when none does)."""
        missing = []
        for question in questions_of(self.module):
            kinds = Counter(case.right for case in self.cases if case.qid == question.id)
            if not kinds[True] or not kinds[False]:
                missing.append(f"{self.lesson} {question.id}: {kinds[False]} wrong, {kinds[True]} right")
        return missing

    def assert_verdict(self, case: Case, ctx: Inputs, capsys) -> None:
        """Run the case's answer through its check: ✅ for a right answer, ❌ with the hint for a wrong one."""
        module = importlib.import_module(self.module)
        capsys.readouterr()
        getattr(module, f"check_{case.qid}")(*case.answer(ctx))
        out = capsys.readouterr().out.strip().splitlines()
        line = next((line for line in out if line[:1] in "✅❌⏳" and f" {case.qid} " in line), "\n".join(out))
        if case.right:
            assert line.startswith(f"✅ {case.qid} "), line
        else:
            assert line.startswith(f"❌ {case.qid} "), line
            assert case.hint in line, f"expected the hint {case.hint!r} in: {line}"


class Inputs:
    """The inputs of one module's checks, made on first use and shared by every case of the module.

    A lesson's module subclasses it with its own inputs (``functools.cached_property``
    each). :attr:`client` starts a small local cluster the first time an answer
    needs one; :meth:`close` stops every cluster the inputs started.
    """

    def __init__(self, tmp_factory) -> None:
        self._tmp = tmp_factory
        self._stack: list[Any] = []

    def enter(self, manager):
        """Enter a context manager (a cluster's client) and leave it in :meth:`close`; what it gives."""
        value = manager.__enter__()
        self._stack.append(manager)
        return value

    @functools.cached_property
    def client(self):
        """A client of 2 single-thread workers, started on first use: it becomes Dask's default client."""
        import hpclab.cluster

        return self.enter(hpclab.cluster.client(n_workers=2, threads_per_worker=1, quiet=True))

    def close(self) -> None:
        while self._stack:
            self._stack.pop().__exit__(None, None, None)

    def tmp(self, name: str):
        """A new temporary folder."""
        return self._tmp.mktemp(name)
