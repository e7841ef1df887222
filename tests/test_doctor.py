"""hpclab doctor: names the MPI and its launcher, catches mismatches and the "rank 0 of 1" trap."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from hpclab import doctor, mpi
from hpclab.cluster import layout, session
from hpclab.doctor import python, security
from hpclab.mpi import find_mpiexec
from hpclab.slurm import vcluster
from tests.support import ROOT, running_vcluster

# Runs real MPI: `make test-openmpi` runs this module again on Open MPI.
pytestmark = pytest.mark.mpi

# Variables that would make the doctor think it runs in a job, under a launcher, or with a scheduler.
_SITUATION = ("SLURM_", "SLURMD_", "PMI_", "PMIX_", "OMPI_", "HPCLAB_MPIEXEC", "HPCLAB_SCHEDULER_FILE", "HPCLAB_IFACE")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SITUATION)}
    env.update(extra)
    return env


def _doctor(*args: str, env: dict[str, str] | None = None, launcher: list[str] = ()) -> subprocess.CompletedProcess:
    argv = [*launcher, sys.executable, "-m", "hpclab.cli", "doctor", *args]
    return subprocess.run(argv, capture_output=True, text=True, env=env or _env(), timeout=180, cwd=ROOT)


def _findings(proc: subprocess.CompletedProcess, section: str) -> list[dict]:
    return [f for f in json.loads(proc.stdout)["findings"] if f["section"] == section]


# The MPI this environment loads (the mpich wheel by default; Open MPI or a site's MPI elsewhere).
LIBRARY = mpi.mpi_library()
FAMILY = mpi.family_of_vendor(LIBRARY["vendor"])
# A launcher of another family than the loaded library, as its --version would print it.
OTHER_LAUNCHER = (
    ("mpirun (Open MPI) 4.1.5", "Open MPI 4.1.5")
    if FAMILY != "Open MPI"
    else ("HYDRA build details:\n    Version:                                 4.0.2", "MPICH 4.0.2")
)


def test_normal_run_names_the_loaded_mpi_and_its_launcher_and_exits_0():
    proc = _doctor()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = proc.stdout
    mpi = text[text.index("\nMPI\n") : text.index("\nSlurm\n")]
    assert "✅ mpi4py" in mpi and f"loaded {FAMILY}" in mpi
    assert f"launcher hpclab uses (next to this Python): {find_mpiexec()} is {FAMILY}" in mpi
    assert "❌" not in text
    assert "nothing is broken" in text.splitlines()[-1]


def test_json_output_parses_and_agrees_with_the_exit_code():
    proc = _doctor("--json")
    report = json.loads(proc.stdout)
    assert report["ok"] is (proc.returncode == 0) is True
    assert {f["section"] for f in report["findings"]} == set(doctor.SECTIONS)
    assert {f["status"] for f in report["findings"]} <= {"ok", "warn", "fail"}
    library = _findings(proc, "MPI")[0]["details"]
    assert library["vendor"] == LIBRARY["vendor"] and library["path"] == LIBRARY["path"]


def test_launcher_of_another_mpi_is_flagged_with_a_fix(tmp_path):
    fake = tmp_path / "mpiexec"  # a stand-in launcher binary of a different MPI
    fake.write_text(f'#!/bin/sh\necho "{OTHER_LAUNCHER[0]}"\n')
    fake.chmod(0o755)
    proc = _doctor(env=_env(HPCLAB_MPIEXEC=str(fake)))
    assert proc.returncode == 1, proc.stdout
    lines = proc.stdout.splitlines()
    bad = next(i for i, line in enumerate(lines) if "launcher hpclab uses (HPCLAB_MPIEXEC)" in line)
    assert "❌" in lines[bad] and OTHER_LAUNCHER[1] in lines[bad] and f"mpi4py loaded {FAMILY}" in lines[bad]
    assert lines[bad + 1].strip().startswith(f"fix: point HPCLAB_MPIEXEC at {FAMILY}'s launcher")


def test_srun_without_pmi_is_flagged_as_rank_0_of_1():
    # What every task sees under `srun -n 4 --mpi=none`: Slurm's variables say task 2 of 4,
    # but MPI (really started here, as a singleton) says rank 0 of 1.
    step = _env(
        SLURM_JOB_ID="4242",
        SLURM_STEP_ID="0",
        SLURM_NTASKS="4",
        SLURM_STEP_NUM_TASKS="4",
        SLURM_PROCID="2",
        SLURM_LOCALID="0",
        SLURM_NODEID="1",
        SLURMD_NODENAME="node2",
        SLURM_SUBMIT_HOST="login1",
        SLURM_JOB_NODELIST="node[1-2]",
    )
    proc = _doctor(env=step)
    assert proc.returncode == 1, proc.stdout
    lines = proc.stdout.splitlines()
    trap = next(i for i, line in enumerate(lines) if "rank 0 of 1" in line)
    assert "❌" in lines[trap] and "task 2 of 4" in lines[trap]
    assert "srun --mpi=pmi2" in lines[trap + 1] and "fix:" in lines[trap + 1]


def test_ranks_started_by_the_matching_mpiexec_are_not_flagged(tmp_path):
    # One file per rank: mpiexec forwards the ranks' output in pieces, and two long JSON
    # lines written at the same moment can come out interleaved. (A shell redirects each
    # rank's output: every MPI's launcher runs it, whatever its own options are called.)
    per_rank = 'exec "$@" > "$0-${PMI_RANK:-$OMPI_COMM_WORLD_RANK}.json"'
    proc = _doctor(
        "--json",
        env=mpi.launcher_env(_env()),
        launcher=[find_mpiexec(), "-n", "2", "sh", "-c", per_rank, str(tmp_path / "doctor")],
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    reports = [json.loads(path.read_text()) for path in sorted(tmp_path.glob("doctor-*.json"))]
    seen = sorted(
        (r["task"]["rank"], f["details"]["mpi"]["rank"], f["details"]["mpi"]["size"])
        for r in reports
        for f in r["findings"]
        if "mpi" in f["details"]
    )
    assert seen == [(0, 0, 2), (1, 1, 2)]


def test_scheduler_file_gives_the_tunnel_to_its_dashboard(tmp_path):
    path = tmp_path / "scheduler.json"
    path.write_text(
        json.dumps({"type": "Scheduler", "address": "tcp://10.1.2.3:8786", "services": {"dashboard": 8899}})
    )
    proc = _doctor("--json", env=_env(HPCLAB_SCHEDULER_FILE=str(path)))
    assert proc.returncode == 0, proc.stdout
    tunnel = [f for f in _findings(proc, "Dashboard") if "8899" in f["message"]]
    assert len(tunnel) == 1
    # To the scheduler's node through this machine, then to that node's loopback (where the dashboard listens).
    line = tunnel[0]["details"]["tunnel"]
    assert line.startswith("ssh -J ") and " -L 8787:127.0.0.1:8899 " in line and line.endswith("@10.1.2.3"), line


def test_under_jupyterhub_the_dashboard_needs_no_tunnel_of_its_own():
    proc = _doctor("--json", env=_env(JUPYTERHUB_SERVICE_PREFIX="/user/ada/"))
    assert proc.returncode == 0, proc.stdout
    proxied = [f for f in _findings(proc, "Dashboard") if "link" in f["details"]]
    assert [f["details"]["link"] for f in proxied] == ["/user/ada/proxy/PORT/status"]
    assert "the only one you need" in proxied[0]["message"]


def test_missing_scheduler_file_is_a_problem_naming_the_file(tmp_path):
    path = tmp_path / "gone.json"
    proc = _doctor(env=_env(HPCLAB_SCHEDULER_FILE=str(path)))
    assert proc.returncode == 1
    assert f"❌ HPCLAB_SCHEDULER_FILE: scheduler file {path} does not exist" in proc.stdout


def test_tunnel_from_a_compute_node_jumps_through_the_login_node():
    assert (
        doctor.tunnel_line(4321, user="ada", host="node7", jump="login1")
        == "ssh -J ada@login1 -L 8787:127.0.0.1:4321 ada@node7"
    )
    assert doctor.tunnel_line(4321, user="ada", host="login1") == "ssh -L 8787:127.0.0.1:4321 ada@login1"


_ROUTES = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"


def test_no_default_route_means_offline_and_says_the_course_works_anyway(tmp_path):
    table = tmp_path / "route"
    table.write_text(_ROUTES + "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n")
    assert doctor.default_route(table) == ""
    found = doctor.network_findings({}, route_table=table)
    internet = [f for f in found if f.message.startswith("internet:")]
    assert internet[0].message.startswith("internet: no default route: offline")
    assert "works without internet" in internet[0].message


def test_a_default_route_is_reported_without_testing_it(tmp_path):
    table = tmp_path / "route"
    table.write_text(_ROUTES + "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n")
    assert doctor.default_route(table) == "eth0"
    assert doctor.default_route(tmp_path / "missing") is None


def test_without_a_routing_table_the_address_is_unknown_not_a_warning(tmp_path):
    # macOS has no /proc: the doctor cannot read the route without sending traffic, so it says so.
    found = doctor.network_findings({}, route_table=tmp_path / "missing")
    address = [f for f in found if "address Dask would give" in f.message]
    assert address and address[0].status == doctor.OK and "unknown here" in address[0].message
    assert not [f for f in found if f.status != doctor.OK and "route" in f.message]


def test_the_settings_that_are_set_are_printed_and_none_is_said_plainly():
    shown = doctor.settings_finding({"HPCLAB_DATA_SIZE": "small", "PATH": "/bin"})
    assert shown.message == "settings: HPCLAB_DATA_SIZE=small"
    assert "no HPCLAB_* variables set" in doctor.settings_finding({}).message


# --------------------------------------------------------------- real Slurm


@pytest.fixture(scope="module")
def cluster():
    with running_vcluster("doctor") as spec:
        yield spec


def _srun_doctor(cluster, mpi: str, *args: str, srun_options: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    argv = [
        "env",
        "MPIR_CVAR_CH4_NETMOD=ofi",
        "FI_PROVIDER=tcp",
        "srun",
        "-N2",
        "-n2",
        f"--mpi={mpi}",
        *srun_options,
        sys.executable,
        "-m",
        "hpclab.cli",
        "doctor",
        *args,
    ]
    return vcluster.run_command(cluster, argv, cwd=str(ROOT), check=False, timeout=180)


@pytest.mark.slurm
@pytest.mark.slow
def test_srun_without_pmi_on_two_nodes_is_flagged(cluster):
    proc = _srun_doctor(cluster, "none")
    assert proc.returncode != 0, proc.stdout
    traps = [line for line in proc.stdout.splitlines() if "'rank 0 of 1' trap" in line]
    assert len(traps) == 2, proc.stdout + proc.stderr  # one per task, on each node
    assert sorted(re.search(r"as task (\d) of 2", t).group(1) for t in traps) == ["0", "1"]
    assert [t.startswith("[task 1] ") for t in traps].count(True) == 1  # the second task's lines are labelled
    assert proc.stdout.count("fix: launch with `srun --mpi=pmi2") == 2


@pytest.mark.slurm
@pytest.mark.slow
def test_srun_with_pmi2_on_two_nodes_is_not_flagged(cluster, tmp_path):
    # One output file per task: srun would mix the two tasks' long JSON lines on its own stdout.
    proc = _srun_doctor(cluster, "pmi2", "--json", srun_options=(f"--output={tmp_path}/task-%t.json",))
    assert proc.returncode == 0, proc.stderr
    reports = [json.loads((tmp_path / f"task-{t}.json").read_text()) for t in (0, 1)]
    assert sorted(r["host"] for r in reports) == ["node1", "node2"]
    ranks = [f["details"]["mpi"] for r in reports for f in r["findings"] if "mpi" in f["details"]]
    assert sorted((m["rank"], m["size"]) for m in ranks) == [(0, 2), (1, 2)]
    tunnels = [f["details"]["tunnel"] for r in reports for f in r["findings"] if "tunnel" in f["details"]]
    assert all(t.startswith("ssh -J ") and "@vhead " in t for t in tunnels), tunnels


# ------------------------------------------------------------------ TLS (hpclab.tls)


def test_a_plain_tcp_scheduler_in_a_slurm_job_is_a_warning_with_the_fix(tmp_path):
    path = tmp_path / "scheduler.json"
    path.write_text(json.dumps({"type": "Scheduler", "address": "tcp://10.1.2.3:8786", "services": {}}))
    proc = _doctor("--json", env=_env(HPCLAB_SCHEDULER_FILE=str(path), SLURM_JOB_ID="42"))
    warned = [f for f in _findings(proc, "Security") if f["status"] == "warn"]
    assert len(warned) == 1, proc.stdout
    assert "plain TCP (tcp://10.1.2.3:8786)" in warned[0]["message"] and "Slurm job" in warned[0]["message"]
    assert "dask_tls" in warned[0]["fix"]


def test_a_tls_scheduler_is_fine_and_a_lone_users_tcp_is_not_warned_about():
    tls = doctor.tls_findings({}, shared="a login node", client_address="tls://127.0.0.1:1234")
    assert [(f.status, "speaks TLS" in f.message) for f in tls] == [("ok", True)]
    alone = doctor.tls_findings({}, shared=None, client_address="tcp://127.0.0.1:1234")
    assert [f.status for f in alone] == ["ok"]
    shared = doctor.tls_findings({}, shared="a login node", client_address="tcp://127.0.0.1:1234")
    assert [f.status for f in shared] == ["warn"]


def test_other_human_users_make_a_machine_shared():
    me = os.geteuid()
    assert doctor.shared_machine({}, uids={0, me, 100, 65534}, have_slurm=False) is None
    assert (
        doctor.shared_machine({}, uids={0, me, 1000 + me + 1}, have_slurm=False) == "processes of 1 other user run here"
    )
    assert "login node" in doctor.shared_machine({}, uids=set(), have_slurm=True)
    assert "Slurm job" in doctor.shared_machine({"SLURM_JOB_ID": "7"}, uids=set(), have_slurm=False)


@pytest.mark.slow
def test_the_current_clients_scheduler_is_checked(monkeypatch):
    from hpclab import cluster

    monkeypatch.setattr(security, "shared_machine", lambda env: "a login node")
    with cluster.client(n_workers=1, memory_limit="1GiB", quiet=True, security=False):
        assert [f.status for f in doctor.tls_findings({})] == ["warn"]
    with cluster.client(n_workers=1, memory_limit="1GiB", quiet=True):
        assert [f.status for f in doctor.tls_findings({})] == ["ok"]


MACHINES = ROOT / "tests" / "fixtures" / "machines"


def _python_line(findings) -> doctor.Finding:
    (line,) = [f for f in findings if "cores you may use" in f.message]
    return line


def test_on_a_shared_login_node_the_layout_is_a_small_share_and_says_why(monkeypatch):
    """128 CPUs, outside a job, sbatch installed: the doctor shows the cluster start() would really make."""
    for name in [k for k in os.environ if k.startswith(_SITUATION) or k in ("OMP_NUM_THREADS", "HPCLAB_CORES")]:
        monkeypatch.delenv(name)
    here = session(MACHINES / "login-128")
    monkeypatch.setattr(python, "session", lambda: here)
    monkeypatch.setattr(layout, "shared_machine", lambda env: "Slurm's sbatch is installed: a cluster's login node")
    line = _python_line(doctor.python_findings())
    assert line.status == doctor.OK, line
    assert "4 workers x 1 thread" in line.message and "4 of 128 cores" in line.message, line.message


def test_a_layout_beyond_what_the_session_may_use_is_a_warning(monkeypatch):
    """HPCLAB_CORES=64 under a 4-CPU quota: 64 threads would take turns on 4 CPUs' worth of time."""
    for name in [k for k in os.environ if k.startswith(_SITUATION) or k == "OMP_NUM_THREADS"]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HPCLAB_CORES", "64")
    here = session(MACHINES / "login-128-cpu-quota")
    monkeypatch.setattr(python, "session", lambda: here)
    monkeypatch.setattr(layout, "shared_machine", lambda env: "a cluster's login node")
    line = _python_line(doctor.python_findings())
    assert line.status == doctor.WARN, line
    assert "64 threads in all, but this session may use 4 CPUs" in line.message, line.message
    assert "HPCLAB_CORES" in line.fix
