"""One node against two, measured honestly: virtual nodes that each own a CPU of this machine."""

from __future__ import annotations

import re
import shutil

import pytest

from hpclab.slurm import vcluster
from tests.support import ROOT, running_vcluster

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

# Seconds of work on one worker: large enough that start-up and scheduling are a small share.
LOW, HIGH = "2000000", "2300000"


@pytest.fixture(scope="module")
def dedicated():
    with running_vcluster("nodes", nodes=2, dedicated=True) as spec:
        yield spec


def test_dedicated_nodes_own_different_host_cpus(dedicated):
    probe = "import os, socket; print(socket.gethostname(), sorted(os.sched_getaffinity(0)))"
    out = vcluster.run_command(
        dedicated, ["srun", "-N2", "--ntasks-per-node=1", "python3", "-c", probe], cwd="/"
    ).stdout
    bound = dict(line.split(" ", 1) for line in out.strip().splitlines())
    assert sorted(bound) == ["node1", "node2"], out
    # One task per node, bound to the first of the host CPUs that node owns, never the other node's.
    for node in ("node1", "node2"):
        assert bound[node] == str(dedicated.node_cpus(node)[:1]), out
    assert not set(dedicated.node_cpus("node1")) & set(dedicated.node_cpus("node2"))


def test_primes_on_one_node_then_two_prints_a_measured_table(dedicated, tmp_path):
    for old in (ROOT / "results").glob("primes-nodes-*"):  # earlier runs' tables
        shutil.rmtree(old, ignore_errors=True)
    job_id = vcluster.submit(
        dedicated,
        "jobscripts/primes-nodes.sh",
        cwd=ROOT,
        args=[LOW, HIGH],
        sbatch_options=[f"--output={tmp_path}/%x-%j.out"],
    )
    results = ROOT / "results" / f"primes-nodes-{job_id}"
    try:
        job = vcluster.wait(dedicated, job_id, timeout=600)
        out = job.output()
        assert job.ok, f"{job.state} {job.exit_code}:\n{out[-3000:]}"
        per_node = len(dedicated.node_cpus("node1"))  # an unbound step's worker may use all of them
        rows = re.findall(r"^\s+(\d)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$", out, re.M)
        assert [r[:3] for r in rows] == [("1", "1", str(per_node)), ("2", "2", str(2 * per_node))], out
        assert rows[0][4:] == ("1.00", "1.00"), out  # the baseline against itself
        speedup, efficiency = float(rows[1][4]), float(rows[1][5])
        assert efficiency == pytest.approx(speedup / 2, abs=0.01), out  # computed, not typed
        assert f"each worker had CPUs of its own ({2 * per_node} in all)" in out, out
        # Both runs counted the same primes (the summary refuses otherwise).
        assert re.search(r"^\d+ primes each time", out, re.M), out
        print(out)  # the table, for the closing note
    except BaseException:
        shutil.rmtree(results, ignore_errors=True)
        raise
    # Kept on success: lesson 10 shows the newest results/primes-nodes-* table, measured by a real job.
