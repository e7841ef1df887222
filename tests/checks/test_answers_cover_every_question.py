"""Every question of every lesson has a table of answers with a wrong and a right answer.

Each table (``test_answers_<module>.py``) also checks its own lesson; this test
holds them all together, so that a new lesson, or a new question, cannot go
without answers (tests/support/answers.py says how the tables work).
"""

from __future__ import annotations

import importlib
import pkgutil

import hpclab.checks
from tests.support.answers import LESSONS, table_module

#: Checks modules proven elsewhere, question by question, not in a table.
ELSEWHERE = {"hpclab.checks.heat": "tests/checks/test_heat_checks.py"}


def test_every_lesson_has_a_table_of_answers():
    lessons = {}
    for info in pkgutil.iter_modules(hpclab.checks.__path__, "hpclab.checks."):
        module = importlib.import_module(info.name)
        if hasattr(module, "QUESTIONS"):
            lessons[module.LESSON] = info.name
    untested = {lesson: module for lesson, module in lessons.items() if module not in ELSEWHERE}
    assert untested == LESSONS


def test_every_question_of_every_lesson_has_a_wrong_and_a_right_answer():
    missing = []
    for lesson, module in LESSONS.items():
        answers = importlib.import_module(table_module(module)).ANSWERS
        assert (answers.lesson, answers.module) == (lesson, module), table_module(module)
        assert {case.lesson for case in answers.cases} == {lesson}, table_module(module)
        missing += answers.missing()
    assert not missing, "\n".join(missing)
