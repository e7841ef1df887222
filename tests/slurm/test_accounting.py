"""Slurm accounting: sacct read into records, the seff report, and every end state on the virtual cluster."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hpclab.slurm import accounting, jobs, vcluster
from tests.support import require_slurm

SPEC = vcluster.Spec(state=Path("/run/hpclab-vcluster-test-acct"), prefix="hptacct", subnet="10.213.73")
MiB = 2**20

SAMPLE = """\
4221000|wrap|learner1|workshop|COMPLETED|0:0|3|UNLIMITED|00:02.500|2|1||node1|||2G|billing=2,cpu=2,mem=2G,node=1
4221000.batch|batch||workshop|COMPLETED|0:0|3||00:02.500|2|1|1|node1|214520K|node1||cpu=2,mem=2G,node=1
4221001|wrap|learner2|workshop|CANCELLED by 24002|0:15|65|5|00:00.010|1|1||node2|||4821M|billing=1,cpu=1,mem=4821M,node=1
"""


def _fake(stdout: str = "", stderr: str = "", code: int = 0):
    seen: list[list[str]] = []

    def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
        seen.append(argv)
        return subprocess.CompletedProcess(argv, code, stdout, stderr)

    return run, seen


def test_sizes_and_durations_as_slurm_prints_them():
    assert accounting.parse_size("214520K") == 214520 * 1024
    assert accounting.parse_size("4821M") == 4821 * MiB
    assert accounting.parse_size("1.50G") == int(1.5 * 2**30)
    assert accounting.parse_size("2000", "M") == 2000 * MiB
    assert accounting.parse_size("") is None
    assert accounting.parse_duration("00:02.500") == 2.5
    assert accounting.parse_duration("01:02:03") == 3723
    assert accounting.parse_duration("2-01:02:03") == 2 * 86400 + 3723
    assert accounting.parse_duration("") is None
    assert accounting.format_duration(3723) == "01:02:03"
    assert accounting.format_size(214520 * 1024) == "209.49 MB"


def test_sacct_rows_become_typed_records():
    job, batch, cancelled = accounting.parse_sacct(SAMPLE)
    assert (job.id, job.step, job.state, job.elapsed, job.cpus, job.time_limit) == (
        "4221000",
        "",
        "COMPLETED",
        3,
        2,
        None,
    )
    assert (batch.id, batch.max_rss, batch.max_rss_node, batch.total_cpu) == (
        "4221000.batch",
        214520 * 1024,
        "node1",
        2.5,
    )
    assert job.alloc_mem == 2 * 2**30 and job.max_rss is None
    assert (cancelled.state, cancelled.state_text, cancelled.time_limit) == ("CANCELLED", "CANCELLED by 24002", 300)


def test_efficiency_compares_use_with_the_request():
    run, seen = _fake(SAMPLE)
    eff = accounting.efficiency("4221000", runner=run)
    assert seen[0][:3] == ["sacct", "--jobs", "4221000"] and "--parsable2" in seen[0]
    assert (eff.state, eff.cpu_used, eff.cpu_allocated) == ("COMPLETED", 2.5, 6)
    assert eff.cpu_efficiency == pytest.approx(2.5 / 6)
    assert (eff.memory_used, eff.memory_requested) == (214520 * 1024, 2 * 2**30)
    report = eff.report()
    for line in (
        "State: COMPLETED (exit code 0:0)",
        "CPU utilised: 00:00:02 of 00:00:06 (2 CPU(s) x 00:00:03)",
        "CPU efficiency: 41.7%",
        "Memory utilised: 209.49 MB, the peak of one task (step batch on node1)",
        "Memory requested: 2.00 GB per node",
        "Memory efficiency: 10.2%",
    ):
        assert line in report.splitlines(), report


def test_errors_say_what_to_do():
    run, _ = _fake(stderr="sacct: error: Slurm accounting storage is disabled", code=1)
    with pytest.raises(accounting.AccountingError, match="this site has no accounting.*sstat -j 12"):
        accounting.efficiency("12", runner=run)
    assert not accounting.has_accounting(run)
    run, _ = _fake("")
    with pytest.raises(accounting.AccountingError, match="knows no job 12: check the id"):
        accounting.efficiency("12", runner=run)
    with pytest.raises(accounting.AccountingError, match="not a job id"):
        accounting.efficiency("12; rm -rf /", runner=run)


# ------------------------------------------------------------------ on the virtual cluster

#: name -> (learner, sbatch options, command); each ends in the state its name says.
ENDINGS = {
    "completed": ("learner1", ["--mem=1G"], "python3 -c 'import time; x = b\"1\" * (200 * 2**20); time.sleep(3)'"),
    "failed": ("learner1", [], "echo failing; exit 3"),
    "timeout": ("learner2", ["--time=1"], "while true; do sleep 1; done"),
    "memory": ("learner2", ["--mem=100M"], "python3 -c 'import time; x = b\"1\" * (400 * 2**20); time.sleep(30)'"),
    "cancelled": ("learner3", [], "sleep 300"),
}


@pytest.fixture(scope="module")
def ended():
    """Every ending submitted at once (as learners), waited for together; name -> (job, efficiency)."""
    require_slurm(SPEC)
    with contextlib.ExitStack() as stack:
        vcluster.up(SPEC, reuse=False)
        stack.callback(vcluster.down, SPEC)
        ids = {}
        for name, (user, options, command) in ENDINGS.items():
            run = vcluster.runner(SPEC, SPEC.homes / user, user=user, timeout=60)
            ids[name] = jobs.submit(run, f"--wrap={command}", sbatch_options=[f"--job-name={name}", *options])
        while jobs.job_fields(vcluster.runner(SPEC), ids["cancelled"]).get("JobState") == "PENDING":
            pass
        vcluster.run_command(SPEC, ["scancel", ids["cancelled"]], user="learner3")
        finished = {name: vcluster.wait(SPEC, job_id, timeout=300) for name, job_id in ids.items()}
        every = "JobID,JobName,User,State,ExitCode,Elapsed,TotalCPU,MaxRSS,ReqMem"
        print(vcluster.run_command(SPEC, ["sacct", "-a", "-P", f"--format={every}"], cwd="/").stdout)
        print("memory job's output:", finished["memory"].output())
        yield {name: (job, _settled(job.id)) for name, job in finished.items()}


def _settled(job_id: str) -> accounting.Efficiency:
    """The job's accounting once slurmdbd has its end (slurmctld sends it a moment after the job ends)."""
    for _ in range(100):
        eff = accounting.efficiency(job_id, runner=vcluster.runner(SPEC))
        if eff.state not in ("RUNNING", "PENDING") and all(s.state != "RUNNING" for s in eff.steps):
            return eff
    raise AssertionError(f"sacct still shows job {job_id} running: {eff}")


@pytest.mark.slurm
@pytest.mark.slow
def test_every_ending_is_in_sacct_with_its_state(ended):
    states = {name: eff.state for name, (_, eff) in ended.items()}
    assert states == {
        "completed": "COMPLETED",
        "failed": "FAILED",
        "timeout": "TIMEOUT",
        # Slurm 22.05 says OUT_OF_MEMORY only for a kill by the kernel in the job's cgroup (task/cgroup);
        # OverMemoryKill's SIGKILL to the step leaves the job FAILED 0:9 (docs/virtual-cluster.md).
        "memory": "FAILED",
        "cancelled": "CANCELLED",
    }
    for name, (job, eff) in ended.items():
        assert job.state == eff.state, (name, job)  # jobs.wait reads the same
        assert eff.job.user == ENDINGS[name][0] and eff.job.account == vcluster.ACCOUNT
    assert ended["failed"][1].job.exit_code == "3:0"
    memory_job, memory = ended["memory"]
    assert memory.job.exit_code == "0:9" and [s.state for s in memory.steps if s.step == "batch"] == ["CANCELLED"]
    assert "Exceeded job memory limit" in memory_job.output()
    assert memory.killed_for_memory and not ended["failed"][1].killed_for_memory


@pytest.mark.slurm
@pytest.mark.slow
def test_elapsed_cpu_time_and_max_rss_are_recorded(ended):
    job, eff = ended["completed"]
    assert eff.elapsed >= 3 and eff.cpu_used is not None and eff.cpu_used > 0
    # 200 MiB of bytes the job wrote, plus the Python that holds them
    assert 200 * MiB <= (eff.memory_used or 0) <= 260 * MiB, eff.memory_used
    assert eff.memory_requested == 1024 * MiB
    report = eff.report()
    assert "State: COMPLETED (exit code 0:0)" in report
    assert f"Memory utilised: {accounting.format_size(eff.memory_used or 0)}, the peak of one task" in report
    assert "Memory requested: 1.00 GB per node" in report
    assert f"Memory efficiency: {100 * (eff.memory_used or 0) / (1024 * MiB):.1f}%" in report
    _, over = ended["memory"]
    assert (over.memory_used or 0) > 100 * MiB, over  # it was over its request when it was killed


@pytest.mark.slurm
@pytest.mark.slow
def test_seff_names_the_reason(ended):
    assert "ask for more time (--time)" in ended["timeout"][1].report()
    assert "ask for more (--mem)" in ended["memory"][1].report()
    with pytest.raises(accounting.AccountingError, match="knows no job 999999999"):
        accounting.efficiency("999999999", runner=vcluster.runner(SPEC))


def test_seff_without_sacct_says_where_to_run():
    env = dict(os.environ, PATH=str(Path(sys.executable).parent))
    proc = subprocess.run(
        [sys.executable, "-m", "hpclab.cli", "seff", "12"], capture_output=True, text=True, timeout=60, env=env
    )
    assert proc.returncode != 0 and "there is no sacct here" in proc.stderr, proc
