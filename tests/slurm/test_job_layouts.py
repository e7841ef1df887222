"""What hpclab.cluster plans inside real Slurm jobs: a one-task job's budget, a step's threads, per-task memory.

Each job prints what plan_layout() and slurm_task_memory() chose from the variables Slurm really set
(no variable is typed by hand), so a Slurm that sets them differently fails here, not in a learner's job.
"""

from __future__ import annotations

import json
import sys

import pytest

from hpclab.slurm import vcluster
from tests.support import ROOT, running_vcluster

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

MiB = 1024**2
# Printed by every task: its node index, the plan, and the variables it came from.
PROBE = (
    "import json, os; import hpclab.cluster as c; layout = c.plan_layout(); "
    "print('LAYOUT', json.dumps({'node': os.environ.get('SLURM_NODEID'), 'workers': layout.n_workers, "
    "'threads': layout.threads_per_worker, 'memory': layout.memory_limit, 'task_memory': c.slurm_task_memory(), "
    "'env': {k: v for k, v in os.environ.items() if k.startswith('SLURM_') and ('TASK' in k or 'MEM' in k or 'CPU' in k)}}))"
)


@pytest.fixture(scope="module")
def cluster():
    with running_vcluster("layouts", nodes=2) as spec:
        yield spec


def run_job(spec, tmp_path, options: list[str], *, step: str) -> list[dict]:
    """Submit a batch job that runs PROBE (``step`` "batch": in the batch script; "srun": in every task)."""
    python = sys.executable
    command = f"{python} -c {json.dumps(PROBE)}" if step == "batch" else f"srun {python} -c {json.dumps(PROBE)}"
    script = tmp_path / "probe.sh"
    script.write_text(f"#!/bin/bash\nset -euo pipefail\n{command}\n")
    job_id = vcluster.submit(
        spec, script, cwd=ROOT, sbatch_options=[*options, f"--output={tmp_path}/%j.out", "--time=5"]
    )
    job = vcluster.wait(spec, job_id, timeout=300)
    out = job.output()
    assert job.ok, f"{job.state} {job.exit_code}:\n{out[-3000:]}"
    return [json.loads(line.split(" ", 1)[1]) for line in out.splitlines() if line.startswith("LAYOUT ")]


def test_a_one_task_jobs_cpus_per_task_is_its_core_budget(cluster, tmp_path):
    """jobscripts/jupyter.sh's shape: 2 cores for the notebook's cluster, as 2 workers x 1 thread, not 1 x 2."""
    (plan,) = run_job(cluster, tmp_path, ["--ntasks=1", "--cpus-per-task=2", "--mem-per-cpu=500M"], step="batch")
    assert plan["env"]["SLURM_CPUS_PER_TASK"] == "2", plan
    assert (plan["workers"], plan["threads"]) == (2, 1), plan
    # --mem-per-cpu x the node's CPUs of this job, shared out over the workers with the 0.8 margin.
    assert plan["memory"] == int(500 * 2 * MiB * 0.8 / 2), plan


def test_a_multi_task_steps_cpus_per_task_are_each_workers_threads(cluster, tmp_path):
    plans = run_job(cluster, tmp_path, ["--nodes=2", "--ntasks=2", "--cpus-per-task=2"], step="srun")
    assert len(plans) == 2, plans
    for plan in plans:
        assert plan["threads"] == 2, plan
        assert plan["workers"] == 1, plan  # each task's 2 CPUs hold one worker of 2 threads


def test_mem_with_ntasks_gives_each_task_its_share_of_its_node(cluster, tmp_path):
    """--mem=1G --ntasks=4 on 2 nodes: 2 tasks on each node, so each worker may use half a node's job memory.

    Slurm sets no SLURM_NTASKS_PER_NODE without --ntasks-per-node; the step's SLURM_STEP_TASKS_PER_NODE
    ("2(x2)") and SLURM_NODEID say how many tasks share this node.
    """
    plans = run_job(cluster, tmp_path, ["--nodes=2", "--ntasks=4", "--mem=1G"], step="srun")
    assert len(plans) == 4, plans
    assert all("SLURM_NTASKS_PER_NODE" not in plan["env"] for plan in plans), plans
    assert {plan["task_memory"] for plan in plans} == {int(1024 // 2 * MiB * 0.9)}, plans


def test_uneven_tasks_per_node_give_each_node_its_own_share(cluster, tmp_path):
    """--ntasks=3 on 2 nodes: "2,1" — the node with one task gives it all of its memory."""
    plans = run_job(cluster, tmp_path, ["--nodes=2", "--ntasks=3", "--mem=1G"], step="srun")
    by_node: dict[str, list[int]] = {}
    for plan in plans:
        by_node.setdefault(plan["node"], []).append(plan["task_memory"])
    assert sorted(len(v) for v in by_node.values()) == [1, 2], plans
    for memories in by_node.values():
        assert memories == [int(1024 // len(memories) * MiB * 0.9)] * len(memories), plans
