"""Checks for lesson 05-dask-bags: counting, filtering, frequencies and foldby on JSON records."""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from pathlib import Path

import dask.bag as db
from dask import is_dask_collection
from dask.highlevelgraph import HighLevelGraph

from hpclab.checks import Question, Wrong, check, plain, require

LESSON = "05-dask-bags"
Q1 = Question(LESSON, "q1", "read JSON lines into a bag and count them", points=1, level=1)
Q2 = Question(LESSON, "q2", "a lazy filtered bag", points=2, level=2)
Q3 = Question(LESSON, "q3", "the most common occupations", points=2, level=2)
Q4 = Question(LESSON, "q4", "mean age per state with foldby", points=3, level=3)
QUESTIONS = [Q1, Q2, Q3, Q4]


def _records(folder) -> list[dict]:
    """Every record in the folder's JSON-lines files, read without Dask (the reference)."""
    files = sorted(Path(folder).glob("*.jsonl"))
    if not files:
        raise Wrong(f"no .jsonl files in {folder}: run the set-up cell at the top again")
    return [json.loads(line) for f in files for line in f.read_text(encoding="utf-8").splitlines() if line]


def _layer_names(bag: db.Bag) -> list[str]:
    """The names of the layers of a bag's task graph ('read-text-…', 'filter-…', 'foldby-…')."""
    graph = bag.__dask_graph__()  # a HighLevelGraph: Bag() wraps any other graph in one
    return [str(name) for name in graph.layers] if isinstance(graph, HighLevelGraph) else []


@check(Q1)
def check_q1(people, n_people, people_folder) -> str:
    """Check ``people`` and ``n_people``: the JSON-lines files read into a bag of dicts, and the number of records.

    ``people`` must be read and parsed by Dask (not made from records Python read already), and ``n_people`` must be
    a computed count equal to the number of records in the files.

    Parameters
    ----------
    people : dask.bag.Bag
        Your bag, one dict per line of the files.
    n_people : int
        The number of records, computed.
    people_folder : str or pathlib.Path
        The folder of the lesson's ``.jsonl`` files; the check reads them without Dask for the expected answer.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(people, "people")
    require(n_people, "n_people")
    if not isinstance(people, db.Bag):
        raise Wrong(f"`people` is a {type(people).__name__}; make it with db.read_text(...).map(json.loads)")
    if all(name.startswith("from_sequence") for name in _layer_names(people)):
        raise Wrong(
            "`people` holds records that Python read and parsed already (db.from_sequence): let Dask read "
            "the files and parse every line, db.read_text(pattern).map(json.loads)"
        )
    first = people.take(1)
    if not first or not isinstance(first[0], dict):
        raise Wrong("the items of `people` should be dicts: parse each line with json.loads")
    if is_dask_collection(n_people):
        raise Wrong("`n_people` is still lazy (a Dask Item): call .compute() on it")
    expected = len(_records(people_folder))
    n_people = plain(n_people, int, "n_people")
    if n_people != expected:
        raise Wrong(
            f"you have {n_people!r}; the files hold {expected} records (one per line). "
            "Count the bag of parsed records: .count().compute()"
        )
    return f"{expected:,} people"


@check(Q2)
def check_q2(seniors, people_folder) -> str:
    """Check ``seniors``: a lazy, filtered bag of the people aged 65 or over.

    The bag must be made lazily from the files (``filter``, ``remove`` or your own ``map_partitions``), not from
    records read by Python, and once computed it must hold exactly the records with age >= 65.

    Parameters
    ----------
    seniors : dask.bag.Bag
        Your filtered bag, not computed.
    people_folder : str or pathlib.Path
        The folder of the lesson's ``.jsonl`` files.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(seniors, "seniors")
    if not isinstance(seniors, db.Bag):
        raise Wrong(
            f"`seniors` is a {type(seniors).__name__}; it should be a lazy Bag (.filter(...) without .compute())"
        )
    layers = _layer_names(seniors)
    if not any(name.startswith(("bag-from-delayed", "read-text", "file_to_blocks")) for name in layers):
        raise Wrong(
            "`seniors` is not a filtered bag of the files: keep the people aged 65 or over with people.filter(...) "
            "(or another lazy step on `people`), so that Dask tests every record where it is read"
        )
    if len(layers) < 2 or layers[-1].startswith(("bag-from-delayed", "file_to_blocks", "list-", "loads-")):
        raise Wrong("`seniors` holds every record read: add the filter step, people.filter(...)")
    got = seniors.compute()
    if got and not isinstance(got[0], dict):
        raise Wrong(f"the bag holds {type(got[0]).__name__} items; parse each line with json.loads first")
    expected = sorted(r["id"] for r in _records(people_folder) if r["age"] >= 65)
    ids = sorted(r.get("id") for r in got)
    if ids != expected:
        raise Wrong(f"{len(ids)} records, expected {len(expected)} people aged 65 or over (age >= 65)")
    return f"{len(expected):,} people aged 65 or over, found only when computed"


@check(Q3)
def check_q3(top_jobs, people_folder) -> str:
    """Check ``top_jobs``: the three most common occupations with their counts, most common first.

    Occupations that share a count are interchangeable: any of them is accepted.

    Parameters
    ----------
    top_jobs : list of (str, int)
        Computed ``(occupation, count)`` pairs.
    people_folder : str or pathlib.Path
        The folder of the lesson's ``.jsonl`` files.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(top_jobs, "top_jobs")
    if is_dask_collection(top_jobs):
        raise Wrong("`top_jobs` is still lazy: call .compute()")
    try:
        pairs = [
            (plain(job, str, "an occupation in `top_jobs`"), plain(count, int, "a count in `top_jobs`"))
            for job, count in plain(top_jobs, list, "top_jobs")
        ]
    except (TypeError, ValueError):
        raise Wrong("`top_jobs` should be a list of (occupation, count) pairs") from None
    counts = Counter(r["occupation"] for r in _records(people_folder))
    best = sorted(counts.values(), reverse=True)[:3]
    if len(pairs) != 3:
        raise Wrong(f"{len(pairs)} pairs; keep the top 3 (.topk(3, key=1))")
    for job, count in pairs:
        if counts.get(job) != count:
            raise Wrong(f"{job!r} appears {counts.get(job, 0)} times, not {count}")
    if [c for _, c in pairs] != best:
        raise Wrong(f"counts {[c for _, c in pairs]}, but the three largest are {best}, largest first")
    return ", ".join(f"{job} ({count})" for job, count in pairs)


def _brief(value: object, width: int = 60) -> str:
    """``repr(value)`` cut to ``width`` characters, for a hint."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _means_from_totals(totals: db.Bag, expected: dict[str, float]) -> dict[str, float]:
    """The mean age of each state as ``totals`` folded it: computed, each (sum of ages, people) pair divided."""
    pairs = totals.compute()
    try:
        folded = dict(pairs)
    except (TypeError, ValueError):
        raise Wrong(
            f"`totals` computes to {_brief(pairs)}, not (state, total) pairs: foldby's key should be the state"
        ) from None
    if set(folded) != set(expected):
        missing = sorted(set(expected) - set(folded))[:3]
        raise Wrong(
            f"`totals` folds {len(folded)} keys, expected the {len(expected)} states (missing e.g. {missing}): "
            "fold by record['address']['state']"
        )
    means = {}
    for state, total in folded.items():
        try:
            ages, people = (float(x) for x in total)
        except (TypeError, ValueError):
            raise Wrong(
                f"`totals` folds {state} to {_brief(total)}: fold (sum of ages, number of people) pairs, "
                "so that the means can be made from it (divide once at the end)"
            ) from None
        if people <= 0:
            raise Wrong(f"`totals` counts {people:g} people in {state}: the second item should count them")
        means[state] = ages / people
    return means


@check(Q4)
def check_q4(totals, mean_age_by_state, people_folder) -> str:
    """Check ``totals`` and ``mean_age_by_state``: the mean age in each state, folded with ``foldby``.

    ``totals`` must be the lazy bag that ``people.foldby(...)`` returns; the means are compared with the exact mean
    age of each state (``record["address"]["state"]``).

    Parameters
    ----------
    totals : dask.bag.Bag
        The lazy result of ``people.foldby(...)``.
    mean_age_by_state : dict of str to float
        The mean age per state, computed from ``totals``.
    people_folder : str or pathlib.Path
        The folder of the lesson's ``.jsonl`` files.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(totals, "totals")
    if not isinstance(totals, db.Bag):
        raise Wrong(
            f"`totals` is a {type(totals).__name__}; it should be the lazy Bag that people.foldby(...) "
            "returns (compute it only to make mean_age_by_state)"
        )
    if not any(name.startswith("foldby") for name in _layer_names(totals)):
        raise Wrong(
            "`totals` is not made with foldby: fold the records per state with "
            "people.foldby(key, binop, initial, combine, combine_initial)"
        )
    require(mean_age_by_state, "mean_age_by_state")
    if not isinstance(mean_age_by_state, dict):
        raise Wrong(
            f"`mean_age_by_state` is a {type(mean_age_by_state).__name__}; make it a dict: "
            "dict(...) of the computed (state, mean) pairs"
        )
    mean_age_by_state = plain(mean_age_by_state, dict, "mean_age_by_state", of=float)
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # state -> [sum of ages, people]
    for record in _records(people_folder):
        entry = sums[record["address"]["state"]]
        entry[0] += record["age"]
        entry[1] += 1
    expected = {state: total / n for state, (total, n) in sums.items()}
    if set(mean_age_by_state) != set(expected):
        missing = sorted(set(expected) - set(mean_age_by_state))[:3]
        raise Wrong(
            f"{len(mean_age_by_state)} states, expected {len(expected)} (missing e.g. {missing}); "
            "the key is record['address']['state']"
        )
    for state, mean in expected.items():
        got = mean_age_by_state[state]
        if not math.isclose(got, mean, rel_tol=1e-9):
            raise Wrong(
                f"{state}: {got!r}, expected {mean:.3f}. Fold (sum of ages, count) pairs, "
                "then divide once at the end: a mean of means is not the mean"
            )
    folded = _means_from_totals(totals, expected)
    for state, mean in folded.items():
        if not math.isclose(mean_age_by_state[state], mean, rel_tol=1e-9):
            raise Wrong(
                f"{state}: `mean_age_by_state` says {mean_age_by_state[state]!r}, but `totals` folded to a "
                f"mean of {mean:.3f}: make the means from what totals.compute() gives"
            )
    oldest = max(expected, key=lambda state: expected[state])
    return f"{len(expected)} states; the oldest on average: {oldest} ({expected[oldest]:.1f} years)"
