"""Lesson 10-dask-on-slurm's checks (hpclab.checks.slurm): ranks, job sizes, scheduler files, cost,
a job script's mistakes.

Every question against a wrong answer and an alternative right one: tests/support/answers.py
says how the table works.
"""

from __future__ import annotations

import json
import sys

import cloudpickle
import numpy as np
import pytest

from tests.support.answers import Answers

cloudpickle.register_pickle_by_value(sys.modules[__name__])

ANSWERS = Answers("10-dask-on-slurm")
right, wrong = ANSWERS.right, ANSWERS.wrong


def resources_list(workers, threads, nodes):
    if nodes > workers:
        raise ValueError("more nodes than workers")
    return [dict(nodes=np.int64(nodes), ntasks=workers, **{"cpus-per-task": threads}), workers + 2]


def resources_per_node(workers, threads, nodes):
    if nodes > workers:
        raise ValueError("more nodes than workers")
    spread = {"nodes": nodes, "ntasks": workers, "ntasks-per-node": workers // nodes, "cpus-per-task": threads}
    return spread, workers + 2


def resources_per_node_wrong(workers, threads, nodes):
    if nodes > workers:
        raise ValueError("more nodes than workers")
    return {"nodes": nodes, "ntasks": workers, "ntasks-per-node": workers, "cpus-per-task": threads}, workers + 2


def resources_pays_for_all(workers, threads, nodes):
    if nodes > workers:
        raise ValueError("more nodes than workers")
    return {"nodes": nodes, "ntasks": workers + 2, "cpus-per-task": threads}, workers + 2


def scheduler_info_pathlib(path):
    from pathlib import Path

    info = json.loads(Path(path).read_text())
    return info["address"], info.get("services", {}).get("dashboard")


def scheduler_info_indexing(path):
    with open(path) as fh:
        info = json.load(fh)
    return info["address"], info["services"]["dashboard"]


def core_hours_split(elapsed, nodes, ntasks, cpus_per_task, cores_per_node, exclusive):
    days, _, clock = elapsed.rpartition("-")
    h, m, s = (int(part) for part in clock.split(":"))
    hours = 24 * int(days or 0) + h + m / 60 + s / 3600
    return (nodes * cores_per_node if exclusive else ntasks * cpus_per_task) * hours


def core_hours_no_days(elapsed, nodes, ntasks, cpus_per_task, cores_per_node, exclusive):
    h, m, s = (int(part) for part in elapsed.split("-")[-1].split(":"))
    return (nodes * cores_per_node if exclusive else ntasks * cpus_per_task) * (h + m / 60 + s / 3600)


def core_hours_asked(elapsed, nodes, ntasks, cpus_per_task, cores_per_node, exclusive):
    return core_hours_split(elapsed, nodes, ntasks, cpus_per_task, cores_per_node, False)


right("q1", "NumPy integers", lambda c: (np.int64(8), np.int64(6), np.int64(1)), fast=True)
wrong(
    "q1",
    "one rank for the scheduler only",
    lambda c: (7, 6, 1),
    "srun is told --ntasks=$((SLURM_NTASKS + 2))",
    fast=True,
)
wrong("q1", "the client on rank 0", lambda c: (8, 6, 0), "rank 0 runs the scheduler", fast=True)
right("q2", "a list and NumPy numbers", lambda c: (resources_list,), fast=True)
right("q2", "spread evenly with --ntasks-per-node", lambda c: (resources_per_node,), fast=True)
wrong("q2", "every worker on each node", lambda c: (resources_per_node_wrong,), "--ntasks-per-node=4", fast=True)
wrong(
    "q2",
    "the two extra ranks paid for",
    lambda c: (resources_pays_for_all,),
    "pays for the scheduler and client",
    fast=True,
)
right("q3", "pathlib and dict.get", lambda c: (scheduler_info_pathlib,), fast=True)
wrong("q3", "indexing the dashboard", lambda c: (scheduler_info_indexing,), "return None as the port there", fast=True)
right("q4", "rpartition on the dash", lambda c: (core_hours_split,), fast=True)
wrong("q4", "days dropped", lambda c: (core_hours_no_days,), "starts with a number of days", fast=True)
wrong("q4", "exclusive ignored", lambda c: (core_hours_asked,), "an exclusive job is charged for every core", fast=True)
right("q5", "the other line of each two-line mistake", lambda c: ({8, 15, 18, 20, 23, 25, 26, 30},), fast=True)
right("q5", "all eight and two to spare is the limit", lambda c: ({8, 13, 15, 18, 19, 20, 23, 25, 26, 30},), fast=True)
wrong("q5", "two of eight", lambda c: ({8, 13},), "still to find: a rank that is not given all the CPUs", fast=True)
wrong("q5", "every line marked", lambda c: (set(range(1, 32)),), "mark at most 10", fast=True)
wrong(
    "q5",
    "all but the lesson's own: TLS and free ports",
    lambda c: ({8, 13, 18, 19, 25, 30},),
    "still to find: a cluster that lets in any client that finds it; a network address that two jobs",
    fast=True,
)
wrong(
    "q5",
    "all eight and a fine line",
    lambda c: ({2, 8, 13, 18, 19, 23, 25, 26, 30},),
    "you found every mistake, but some lines you marked are fine",
    fast=True,
)


# =========================================================================== the tests


def test_every_question_has_a_wrong_and_a_right_answer():
    assert not ANSWERS.missing(), "\n".join(ANSWERS.missing())


@pytest.mark.parametrize("case", ANSWERS.params())
def test_check_verdict(case, ctx, capsys):
    ANSWERS.assert_verdict(case, ctx, capsys)
