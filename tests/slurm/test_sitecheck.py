"""hpclab site-check: every probe passes on the virtual cluster, and each judge can fail."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hpclab.slurm import sitecheck, vcluster
from hpclab.slurm.jobs import Job
from tests.support import ROOT, running_vcluster


def _job(state: str = "COMPLETED", code: str = "0:0") -> Job:
    return Job("1", state, code, Path("/nonexistent"))


@pytest.mark.slurm
@pytest.mark.slow
def test_every_check_passes_on_the_virtual_cluster():
    with running_vcluster("site") as spec:
        runner = sitecheck.site_runner(ROOT, prefix=vcluster.exec_argv(spec, [], cwd=str(ROOT)))
        rows = sitecheck.run_probes(runner, ROOT, timeout=300)
        _refused_submission_is_a_failed_row(spec)
    print(sitecheck.findings_table(rows))
    assert [r.section for r in rows] == [
        "MPI on 2 nodes",
        "CPU binding",
        "memory limit",
        "doctor on compute nodes",
        "dask-mpi on 2 nodes",
        "dask-jobqueue workers",
    ]
    assert all(r.status == sitecheck.PASS for r in rows), sitecheck.findings_table(rows)
    binding = rows[1].message
    assert "told: 2 CPUs, one-CPU step: 1 core" in binding and "always pass --cpus-per-task" in binding
    assert not list(ROOT.glob(".site-check-*")), "the results folder must be removed"
    shutil.rmtree(ROOT / "results" / "jobqueue-logs", ignore_errors=True)  # the jobqueue probe's worker logs


def _refused_submission_is_a_failed_row(spec):
    """A partition the site does not have: sbatch refuses, and the table says so instead of crashing."""
    env = dict(os.environ, SBATCH_PARTITION="no-such-partition")
    runner = sitecheck.site_runner(ROOT, prefix=vcluster.exec_argv(spec, [], cwd=str(ROOT)), env=env)
    rows = sitecheck.run_probes(runner, ROOT, only=["mpi"], timeout=60)
    assert rows[0].status == sitecheck.FAIL and "invalid partition" in rows[0].message.lower(), rows
    assert "0 of 1 checks passed" in sitecheck.findings_table(rows)


def test_mpi_judge_fails_when_every_rank_is_alone():
    out = "".join(f"hello from rank 0 of 1 on node{n} (CPUs 0)\n" for n in (1, 1, 2, 2))
    row = sitecheck.judge_mpi(_job(), out)
    assert row.status == sitecheck.FAIL and "SLURM_MPI_TYPE" in row.fix


def test_mpi_judge_fails_when_ranks_of_a_node_share_cpus():
    out = "".join(f"hello from rank {r} of 4 on node{r // 2 + 1} (CPUs 0,1)\n" for r in range(4)) + "ring ok\n"
    row = sitecheck.judge_mpi(_job(), out)
    assert row.status == sitecheck.FAIL and "share CPUs" in row.message


def test_mpi_judge_accepts_ranks_bound_to_a_core_with_two_hardware_threads():
    out = (
        "".join(f"hello from rank {r} of 4 on node{r // 2 + 1} (CPUs {r % 2},{r % 2 + 64})\n" for r in range(4))
        + "ring ok\n"
    )
    assert sitecheck.judge_mpi(_job(), out).status == sitecheck.PASS


def test_binding_judge_fails_when_a_one_cpu_step_sees_more():
    out = "== told\nprobe n1 2 2\n== one\nprobe n1 2 2\n== plain\nprobe n1 2 2\nprobe n1 2 2\n"
    row = sitecheck.judge_binding(_job(), out)
    assert row.status == sitecheck.FAIL and "task/none" in row.fix


def test_binding_judge_counts_a_hyperthreaded_core_as_one():
    out = "== told\nprobe n1 2 1\n== one\nprobe n1 2 1\n== plain\nprobe n1 1 1\nprobe n1 1 1\n"
    row = sitecheck.judge_binding(_job(), out)
    assert row.status == sitecheck.PASS and "always pass --cpus-per-task" in row.message


def test_binding_judge_fails_when_the_probe_stopped_half_way():
    row = sitecheck.judge_binding(_job("FAILED", "1:0"), "== told\nprobe n1 2 2\n== one\nprobe n1 1 1\n")
    assert row.status == sitecheck.FAIL and "did not run to the end" in row.message


def test_memory_judge_fails_when_the_step_survives():
    row = sitecheck.judge_memory(_job(), "holding 400 MiB\nsurvived\n")
    assert row.status == sitecheck.FAIL and "does not enforce" in row.fix


def test_memory_judge_needs_slurm_to_say_the_step_was_killed_for_memory():
    crashed = sitecheck.judge_memory(_job("FAILED", "1:0"), "bash: python: command not found\n")
    assert crashed.status == sitecheck.FAIL and "never started" in crashed.message
    silent = sitecheck.judge_memory(_job("FAILED", "1:0"), "holding 400 MiB\nKilled\n")
    assert silent.status == sitecheck.FAIL and "without Slurm saying why" in silent.message
    killed = sitecheck.judge_memory(
        _job("FAILED", "137:0"), "holding 400 MiB\nerror: StepId=5.0 exceeded memory limit (9 > 1), being killed\n"
    )
    assert killed.status == sitecheck.PASS


def test_dask_mpi_judge_knows_the_right_count():
    out = "38 primes between 1000000 and 1000500 [0.1 s on 4 workers; hosts: node1 node2]\n"
    row = sitecheck.judge_dask_mpi(_job(), out)
    assert row.status == sitecheck.FAIL and "not 39" in row.message


def test_doctor_judge_reports_the_first_failure_with_its_fix():
    out = (
        '{"host": "n1", "findings": [{"status": "ok", "message": "fine"}, '
        '{"status": "fail", "message": "no interface ib0", "fix": "set HPCLAB_IFACE"}]}\n'
    )
    row = sitecheck.judge_doctor(_job("FAILED", "1:0"), out)
    assert (row.status, row.message, row.fix) == (sitecheck.FAIL, "n1: no interface ib0", "set HPCLAB_IFACE")


def test_cli_site_check_outside_the_course_folder_says_where_to_run(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "hpclab.cli", "site-check", "--root", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert f"{tmp_path} is not the course folder" in proc.stderr and "--root" in proc.stderr
