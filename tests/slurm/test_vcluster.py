"""hpclab vcluster: a real Slurm with two virtual nodes, and a clean teardown."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hpclab.slurm import vcluster
from tests.support import running_vcluster

pytestmark = [pytest.mark.slurm, pytest.mark.slow]


def _netns() -> str:
    return subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def cluster():
    with running_vcluster("life") as spec:
        yield spec


def test_two_idle_nodes_with_their_own_hostnames(cluster):
    nodes = vcluster.run_command(cluster, ["sinfo", "-h", "-N", "-o", "%N %t"], cwd="/").stdout.split("\n")
    assert [n.split() for n in nodes if n] == [["node1", "idle"], ["node2", "idle"]]
    hosts = vcluster.run_command(cluster, ["srun", "-N2", "--ntasks-per-node=1", "hostname"], cwd="/").stdout.split()
    assert sorted(hosts) == ["node1", "node2"]


def test_nodes_advertise_cpus_the_host_has_and_bind_tasks_to_them(cluster):
    nodes = vcluster.run_command(cluster, ["sinfo", "-h", "-N", "-o", "%N %c %m"], cwd="/").stdout.split("\n")
    host_cpus = len(os.sched_getaffinity(0))
    for line in filter(None, nodes):
        name, cpus, memory = line.split()
        assert int(cpus) == host_cpus, line
        assert int(memory) == cluster.node_memory_mb(), line
    config = vcluster.run_command(cluster, ["scontrol", "show", "config"], cwd="/").stdout
    assert re.search(r"^TaskPlugin\s+= task/affinity", config, re.M), config
    assert re.search(r"^SelectTypeParameters\s+= CR_CORE_MEMORY", config, re.M | re.I), config
    assert "OverMemoryKill" in config
    assert "cgroup" not in re.search(r"^(ProctrackType|TaskPlugin|JobAcctGatherType)\s+=.*", config, re.M).group(0)


def test_nodes_have_distinct_addresses_on_their_own_subnet(cluster):
    out = vcluster.run_command(cluster, ["ip", "-4", "-br", "addr", "show", "eth0"], host="node2", cwd="/").stdout
    assert f"{cluster.subnet}.12/24" in out
    # The machine's own network never sees that subnet.
    assert cluster.subnet not in subprocess.run(["ip", "-4", "addr"], capture_output=True, text=True).stdout


def test_the_machines_hosts_file_is_untouched(cluster):
    assert "node1" not in Path("/etc/hosts").read_text()
    inside = vcluster.run_command(cluster, ["cat", "/etc/hosts"], host="node1", cwd="/").stdout
    assert f"{cluster.subnet}.11 node1" in inside


def test_up_with_another_shape_refuses_instead_of_reusing(cluster):
    other = vcluster.Spec(**{**cluster.__dict__, "dedicated": True})
    with pytest.raises(vcluster.VClusterError, match="already up as 2 node.s. with shared CPUs.*down` first"):
        vcluster.up(other)


def test_a_job_slurm_no_longer_knows_is_reported_not_waited_for(cluster):
    with pytest.raises(vcluster.VClusterError, match="no longer knows job 999999999"):
        vcluster.wait(cluster, "999999999", timeout=30)


def test_a_second_cluster_is_refused_while_one_runs(cluster):
    other = vcluster.Spec(state=Path("/run/hpclab-vcluster-test-other"), prefix="hptother", subnet="10.213.80")
    with pytest.raises(vcluster.VClusterError, match="another slurmctld is already running"):
        vcluster.up(other)
    assert "hptother" not in _netns()


def _hpclab(*args: str, env: dict | None = None, user: str | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "hpclab.cli", *args]
    if user:
        command = ["setpriv", "--reuid", user, "--regid", user, "--clear-groups", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env=env, cwd="/")


def test_non_root_is_refused_with_the_fix():
    proc = _hpclab("vcluster", "up", user="65534")
    assert proc.returncode == 2
    assert "needs root" in proc.stderr and "sudo hpclab vcluster up" in proc.stderr


def test_missing_packages_are_named_with_the_install_command():
    env = dict(os.environ, PATH=str(Path(sys.executable).parent))
    proc = _hpclab("vcluster", "up", env=env)
    assert proc.returncode == 2
    assert "slurm-wlm" in proc.stderr and "munge" in proc.stderr and "apt-get install" in proc.stderr


def test_more_dedicated_nodes_than_cpus_is_refused_before_anything_starts():
    too_many = str(len(os.sched_getaffinity(0)) + 1)
    proc = _hpclab("vcluster", "up", "--dedicated-cpus", "--nodes", too_many)
    assert proc.returncode == 2
    assert f"{too_many} nodes with dedicated CPUs need at least {too_many} CPUs" in proc.stderr
