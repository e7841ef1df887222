"""Lesson 05-dask-bags' checks (hpclab.checks.bags): counting, filtering, frequencies and foldby.

Every question against a wrong answer and an alternative right one: tests/support/answers.py
says how the table works.
"""

from __future__ import annotations

import functools
import json
import sys

import cloudpickle
import numpy as np
import pytest

from tests.support import answers
from tests.support.answers import AlwaysEqual, Answers

cloudpickle.register_pickle_by_value(sys.modules[__name__])

ANSWERS = Answers("05-dask-bags")
right, wrong = ANSWERS.right, ANSWERS.wrong


class Inputs(answers.Inputs):
    @functools.cached_property
    def people_folder(self):
        import hpclab.data

        return hpclab.data.path("people")

    @functools.cached_property
    def people(self):
        import dask.bag as db

        self.client  # noqa: B018
        return db.read_text(str(self.people_folder / "*.jsonl")).map(json.loads)


def _python_records(folder):
    return [json.loads(line) for f in sorted(folder.glob("*.jsonl")) for line in f.read_text().splitlines() if line]


def _db():
    import dask.bag as db

    return db


def _add_person(total, person):
    ages, people = total
    return ages + person["age"], people + 1


def _add_totals(a, b):
    return tuple(np.add(a, b))


def _state(person):
    return person["address"]["state"]


def _by_state_foldby(c):
    totals = c.people.foldby(_state, _add_person, (0, 0), _add_totals, (0, 0))
    means = {state: np.divide(*t) for state, t in totals.compute()}
    return totals, means, c.people_folder


def _by_state_groupby(c):
    totals = c.people.groupby(_state)
    means = {state: float(np.mean([p["age"] for p in group])) for state, group in totals.compute()}
    return totals, means, c.people_folder


def _count_person(n, person):
    return n + 1


def _by_state_pandas(c):
    """Wrong: a foldby that counts people, and means made by pandas from the records, not from the fold."""
    import pandas as pd

    totals = c.people.foldby(_state, _count_person, 0, lambda a, b: a + b, 0)
    records = _python_records(c.people_folder)
    frame = pd.DataFrame({"state": [_state(p) for p in records], "age": [p["age"] for p in records]})
    return totals, frame.groupby("state")["age"].mean().to_dict(), c.people_folder


def _by_state_lists(c):
    """Right, spelled differently: [sum, count] lists, folded with a lambda, means in a comprehension."""
    totals = c.people.foldby(
        _state,
        lambda t, p: [t[0] + p["age"], t[1] + 1],
        [0, 0],
        lambda a, b: [a[0] + b[0], a[1] + b[1]],
        [0, 0],
    )
    return totals, {state: ages / n for state, (ages, n) in totals.compute()}, c.people_folder


def _running_mean(mean, person):
    return (mean + person["age"]) / 2


def _mean_of_means(c):
    totals = c.people.foldby(_state, _running_mean, 0.0, lambda a, b: (a + b) / 2, 0.0)
    return totals, dict(totals.compute()), c.people_folder


right("q1", "counted by len of the computed bag", lambda c: (c.people, len(c.people.compute()), c.people_folder))
wrong(
    "q1",
    "records read by Python, then put in a bag",
    lambda c: (
        _db().from_sequence(_python_records(c.people_folder), npartitions=4),
        len(_python_records(c.people_folder)),
        c.people_folder,
    ),
    "let Dask read the files",
)
wrong("q1", "the count left lazy", lambda c: (c.people, c.people.count(), c.people_folder), "still lazy")
wrong(
    "q1",
    "the lines of one file",
    lambda c: (c.people, len(sorted(c.people_folder.glob("*.jsonl"))[0].read_text().splitlines()), c.people_folder),
    "Count the bag of parsed records",
)
right("q2", "not younger than 65", lambda c: (c.people.filter(lambda p: not p["age"] < 65), c.people_folder))
right("q2", "remove the younger ones", lambda c: (c.people.remove(lambda p: p["age"] < 65), c.people_folder))
wrong(
    "q2",
    "filtered in Python, put back in a bag",
    lambda c: (_db().from_sequence([p for p in c.people.compute() if p["age"] >= 65]), c.people_folder),
    "is not a filtered bag",
)
right(
    "q2",
    "map_partitions with a list comprehension",
    lambda c: (c.people.map_partitions(lambda part: [p for p in part if p["age"] >= 65]), c.people_folder),
)
wrong("q2", "the unfiltered bag", lambda c: (c.people, c.people_folder), "add the filter step")
wrong(
    "q2",
    "older than 65",
    lambda c: (c.people.filter(lambda p: p["age"] > 65), c.people_folder),
    "aged 65 or over (age >= 65)",
)
right(
    "q3",
    "sorted frequencies",
    lambda c: (
        sorted(c.people.pluck("occupation").frequencies().compute(), key=lambda kv: -kv[1])[:3],
        c.people_folder,
    ),
)
wrong(
    "q3",
    "topk without a key",
    lambda c: (c.people.pluck("occupation").frequencies().topk(3).compute(), c.people_folder),
    "but the three largest are",
)
wrong(
    "q3",
    "objects equal to everything",
    lambda c: ([(AlwaysEqual(), AlwaysEqual())] * 3, c.people_folder),
    "should be a string",
)
right("q4", "NumPy pairs folded", _by_state_foldby)
wrong("q4", "groupby instead of foldby", _by_state_groupby, "is not made with foldby")
right("q4", "[sum, count] lists", _by_state_lists)
wrong("q4", "a foldby that counts, the means from pandas", _by_state_pandas, "fold (sum of ages, number of people)")
wrong("q4", "a fold of running means", _mean_of_means, "a mean of means is not the mean")


# =========================================================================== the tests


def test_every_question_has_a_wrong_and_a_right_answer():
    assert not ANSWERS.missing(), "\n".join(ANSWERS.missing())


@pytest.mark.parametrize("case", ANSWERS.params())
def test_check_verdict(case, ctx, capsys):
    ANSWERS.assert_verdict(case, ctx, capsys)
