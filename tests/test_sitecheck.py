"""hpclab site-check: every probe passes on the virtual cluster, and each judge can fail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, running_vcluster
from hpclab import sitecheck, vcluster
from hpclab.slurmjob import Job


def _job(state: str = "COMPLETED", code: str = "0:0") -> Job:
    return Job("1", state, code, Path("/nonexistent"))


@pytest.mark.slurm
@pytest.mark.slow
def test_every_check_passes_on_the_virtual_cluster():
    with running_vcluster("site") as spec:
        runner = sitecheck.site_runner(ROOT, prefix=vcluster.exec_argv(spec, [], cwd=str(ROOT)))
        rows = sitecheck.check(runner, ROOT, timeout=300)
        _refused_submission_is_a_failed_row(spec)
    print(sitecheck.table(rows))
    assert [r.section for r in rows] == ["MPI on 2 nodes", "CPU binding", "memory limit", "doctor on compute nodes",
                                      "dask-mpi on 2 nodes", "dask-jobqueue workers"]
    assert all(r.status == sitecheck.PASS for r in rows), sitecheck.table(rows)
    binding = rows[1].message
    assert "told: 2 CPUs, one-CPU step: 1" in binding and "always pass --cpus-per-task" in binding
    assert not list(ROOT.glob(".site-check-*")), "the results folder must be removed"


def _refused_submission_is_a_failed_row(spec):
    """A partition the site does not have: sbatch refuses, and the table says so instead of crashing."""
    env = dict(os.environ, SBATCH_PARTITION="no-such-partition")
    runner = sitecheck.site_runner(ROOT, prefix=vcluster.exec_argv(spec, [], cwd=str(ROOT)), env=env)
    rows = sitecheck.check(runner, ROOT, only=["mpi"], timeout=60)
    assert rows[0].status == sitecheck.FAIL and "invalid partition" in rows[0].message.lower(), rows
    assert "0 of 1 checks passed" in sitecheck.table(rows)


def test_mpi_judge_fails_when_every_rank_is_alone():
    out = "".join(f"hello from rank 0 of 1 on node{n} (CPUs 0)\n" for n in (1, 1, 2, 2))
    row = sitecheck.judge_mpi(_job(), out)
    assert row.status == sitecheck.FAIL and "SLURM_MPI_TYPE" in row.fix


def test_mpi_judge_fails_when_ranks_are_not_bound():
    out = "".join(f"hello from rank {r} of 2 on node{r + 1} (CPUs 0,1)\n" for r in range(2)) + "ring ok\n"
    row = sitecheck.judge_mpi(_job(), out)
    assert row.status == sitecheck.FAIL and "not bound" in row.message


def test_binding_judge_fails_when_a_one_cpu_step_sees_more():
    out = "== told\nprobe n1 2\n== one\nprobe n1 2\n== plain\nprobe n1 2\n"
    row = sitecheck.judge_binding(_job(), out)
    assert row.status == sitecheck.FAIL and "task/none" in row.fix


def test_memory_judge_fails_when_the_step_survives():
    row = sitecheck.judge_memory(_job(), "survived\n")
    assert row.status == sitecheck.FAIL and "does not enforce" in row.fix


def test_doctor_judge_reports_the_first_failure_with_its_fix():
    out = ('{"host": "n1", "findings": [{"status": "ok", "message": "fine"}, '
           '{"status": "fail", "message": "no interface ib0", "fix": "set HPCLAB_IFACE"}]}\n')
    row = sitecheck.judge_doctor(_job("FAILED", "1:0"), out)
    assert (row.status, row.message, row.fix) == (sitecheck.FAIL, "n1: no interface ib0", "set HPCLAB_IFACE")


def test_cli_site_check_outside_the_course_folder_says_where_to_run(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "hpclab.cli", "site-check", "--root", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert f"{tmp_path} is not the course folder" in proc.stderr and "--root" in proc.stderr
