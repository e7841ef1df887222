"""hpclab.binding reports where a process and each Dask worker really run."""

from __future__ import annotations

import os
import re

import pytest

from hpclab import binding, cluster


def test_this_process_reports_its_own_cpus():
    found = binding.probe()
    assert found["cpus"] == sorted(os.sched_getaffinity(0))
    assert found["memory_limit"] is None  # not a Dask worker


@pytest.mark.slow
def test_workers_report_their_threads_and_memory_limit():
    with cluster.client(n_workers=2, threads_per_worker=1, memory_limit="300MiB", quiet=True) as c:
        found = binding.workers(c)
    assert [(w["threads"], w["memory_limit"]) for w in found] == [(1, 300 * 2**20)] * 2
    line = binding.describe(found[0])
    assert re.fullmatch(r"worker on \S+: CPUs [\d,]+, 1 thread, memory limit 300 MiB", line), line
