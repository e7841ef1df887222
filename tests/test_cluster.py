"""hpclab.cluster: layout from the environment, local clusters, scheduler files."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from hpclab import cluster, config
from hpclab.cluster import layout as cluster_layout
from tests.support import cli_scheduler_and_worker

GiB = 1024**3


def test_in_a_step_of_several_tasks_threads_come_from_slurm_cpus_per_task_first():
    env = {"SLURM_JOB_ID": "7", "SLURM_NTASKS": "4", "SLURM_CPUS_PER_TASK": "4", "OMP_NUM_THREADS": "2"}
    layout = cluster.plan_layout(env, cores=16, memory=32 * GiB)
    assert (layout.n_workers, layout.threads_per_worker) == (4, 4)
    assert "SLURM_CPUS_PER_TASK" in layout.reason


def session_of(cpus: int, memory: int = 64 * GiB, machine_cpus: int = 128) -> cluster.Session:
    return cluster.Session(machine_cpus=machine_cpus, cpus=cpus, machine_memory=512 * GiB, memory=memory)


@pytest.mark.parametrize(
    "per_task, expected",
    [("2", (2, 1)), ("16", (8, 2))],  # jobscripts/jupyter.sh asks for 2; a bigger notebook job for 16
)
def test_a_one_task_jobs_cpus_per_task_is_the_core_budget(per_task, expected):
    """`--ntasks=1 --cpus-per-task=N`: N cores for the notebook's cluster, workers and threads chosen inside."""
    env = {"SLURM_JOB_ID": "7", "SLURM_NTASKS": "1", "SLURM_CPUS_PER_TASK": per_task, "SLURM_MEM_PER_NODE": "4096"}
    layout = cluster.plan_layout(env, of=session_of(cpus=64))  # affinity wider than the budget: the budget wins
    assert (layout.n_workers, layout.threads_per_worker) == expected
    assert f"SLURM_CPUS_PER_TASK={per_task}" in layout.reason
    assert layout.memory_limit == int(4096 * 2**20 * 0.8 / expected[0])
    # Without --ntasks (one task too), the same.
    del env["SLURM_NTASKS"]
    assert cluster.plan_layout(env, of=session_of(cpus=64)).n_workers == expected[0]


@pytest.mark.parametrize(
    "text, counts",
    [("4", [4]), ("2(x3),1", [2, 2, 2, 1]), ("1,3(x2)", [1, 3, 3]), ("16(x128)", [16] * 128)],
)
def test_slurms_compressed_tasks_per_node_list_is_expanded(text, counts):
    assert cluster.expand_tasks_per_node(text) == counts


def test_a_tasks_per_node_list_in_another_form_is_refused():
    with pytest.raises(ValueError, match="tasks-per-node"):
        cluster.expand_tasks_per_node("2x3")


def test_mem_with_ntasks_is_shared_by_the_tasks_on_this_node_of_this_step():
    """--mem=8G --ntasks=4 on 2 nodes sets no SLURM_NTASKS_PER_NODE: the step's list says 2 tasks per node."""
    env = {"SLURM_MEM_PER_NODE": "8192", "SLURM_TASKS_PER_NODE": "2(x2)", "SLURM_NODEID": "1"}
    assert cluster.slurm_task_memory(env, share=1.0) == 4096 * 2**20
    # A step's own list wins over the job's; this node's entry is the one read.
    step = {**env, "SLURM_STEP_TASKS_PER_NODE": "3,1", "SLURM_NODEID": "0"}
    assert cluster.slurm_task_memory(step, share=1.0) == 8192 // 3 * 2**20
    assert cluster.slurm_task_memory({**step, "SLURM_NODEID": "1"}, share=1.0) == 8192 * 2**20
    # No node index: the busiest node's share, the safe one.
    del step["SLURM_NODEID"]
    assert cluster.slurm_task_memory(step, share=1.0) == 8192 // 3 * 2**20


MACHINES = Path(__file__).parent / "fixtures" / "machines"


def test_a_login_nodes_cores_are_its_cpus_when_nothing_limits_the_user():
    assert cluster.available_cores(MACHINES / "login-128") == 128


def test_a_cgroup_cpu_quota_of_a_parent_counts_as_cores():
    """systemd's CPUQuota=400% on the user's slice: 128 CPUs in the affinity, 4 CPUs' worth of time."""
    assert cluster.available_cores(MACHINES / "login-128-cpu-quota") == 4
    found = cluster.session(MACHINES / "login-128-cpu-quota").cpu_limits
    assert any("user-1000.slice/cpu.max" in limit.source and limit.amount == 4 for limit in found)


def test_a_user_slice_memory_cap_is_what_the_session_may_use():
    """MemoryMax=16G on user-1000.slice, a parent of the session's scope: Dask's reading misses it."""
    assert cluster.available_memory({}, MACHINES / "login-128-user-slice-16g") == 16 * GiB
    assert cluster.available_memory({}, MACHINES / "login-128") == 512 * GiB


def test_cgroup_v1_quota_and_memory_limit_are_read():
    here = cluster.session(MACHINES / "container-v1")
    assert (here.machine_cpus, here.cpus, here.memory) == (16, 2, 8 * GiB)


def test_slurm_memory_still_wins_over_the_sessions():
    env = {"SLURM_MEM_PER_NODE": "2048"}
    assert cluster.available_memory(env, MACHINES / "login-128-user-slice-16g") == 2048 * 2**20


@pytest.mark.parametrize("omp", [None, "1"])
def test_a_shared_login_node_gets_a_small_cluster_and_a_fair_share_of_memory(omp):
    """128 CPUs outside a job: 4 workers (not 64, nor 128 with OMP_NUM_THREADS=1), 4/128 of the memory."""
    env = {} if omp is None else {"OMP_NUM_THREADS": omp}
    here = cluster.session(MACHINES / "login-128")
    layout = cluster.plan_layout(env, of=here, shared="a cluster's login node")
    assert (layout.n_workers, layout.threads_per_worker) == (4, 1)
    assert layout.memory_limit == int(512 * GiB * 4 // 128 * 0.8 / 4)
    assert "a cluster's login node" in layout.note and "4 of 128 cores" in layout.note
    assert config.CORES in layout.note and "n_workers=" in layout.note


def test_a_user_cap_on_a_login_node_is_the_share_of_memory():
    here = cluster.session(MACHINES / "login-128-user-slice-16g")
    layout = cluster.plan_layout({}, of=here, shared="a cluster's login node")
    assert layout.n_workers * layout.memory_limit == int(16 * GiB * 0.8 / 4) * 4


def test_more_cores_on_a_login_node_are_asked_for_by_setting():
    here = cluster.session(MACHINES / "login-128")
    layout = cluster.plan_layout({config.CORES: "16"}, of=here, shared="a cluster's login node")
    assert (layout.n_workers, layout.threads_per_worker) == (8, 2)
    assert layout.n_workers * layout.memory_limit == pytest.approx(512 * GiB * 16 / 128 * 0.8, rel=1e-6)
    assert layout.note == ""  # asked for: nothing to explain


def test_a_laptop_keeps_every_core_and_its_memory():
    here = cluster.session(MACHINES / "laptop-8")
    layout = cluster.plan_layout({}, of=here, shared=None)
    assert (layout.n_workers, layout.threads_per_worker, layout.note) == (4, 2, "")
    assert layout.memory_limit == int(16 * GiB * 0.8 / 4)


def test_inside_a_job_the_login_node_share_does_not_apply():
    env = {"SLURM_JOB_ID": "7", "SLURM_MEM_PER_NODE": "65536"}
    layout = cluster.plan_layout(env, of=session_of(cpus=32), shared="this runs in a Slurm job")
    assert (layout.n_workers, layout.threads_per_worker, layout.note) == (16, 2, "")


def test_a_layout_beyond_the_sessions_cpus_and_memory_is_reported():
    here = cluster.session(MACHINES / "login-128-user-slice-16g")
    fits = cluster.plan_layout({}, of=here, shared="login")
    assert cluster.overruns(fits, here, env={}) == []
    too_big = cluster.plan_layout({}, cores=256, memory=64 * GiB, of=here)
    found = cluster.overruns(too_big, here, env={})
    assert len(found) == 2 and "128 CPUs" in found[0] and "16.0 GiB" in found[1] and "memory.max" in found[1]


@pytest.fixture
def sleeper():
    proc = subprocess.Popen(["sleep", "120"])
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("option, name", [("--as", "RLIMIT_AS"), ("--data", "RLIMIT_DATA"), ("--rss", "RLIMIT_RSS")])
def test_rlimits_set_by_prlimit_on_a_real_process_are_read(sleeper, option, name):
    """`prlimit --pid` lowers a running process's limit, as `ulimit -v`/`-d`/`-m` in its shell would have."""
    subprocess.run(["prlimit", "--pid", str(sleeper.pid), f"{option}={3 * GiB}:{3 * GiB}"], check=True, timeout=30)
    here = cluster.session("/", pid=str(sleeper.pid))
    assert here.memory == 3 * GiB
    assert [limit.source for limit in here.memory_limits if limit.amount == 3 * GiB] == [f"{name} (ulimit)"]


def test_ulimit_v_on_the_process_itself_is_what_a_cluster_may_use():
    """A Python started under `prlimit --as` (what `ulimit -v` does to a login shell) plans within it."""
    code = "from hpclab import cluster; print(cluster.available_memory({}))"
    proc = subprocess.run(
        ["prlimit", f"--as={3 * GiB}", "--", sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout) == 3 * GiB


def test_threads_fall_back_to_omp_num_threads():
    layout = cluster.plan_layout({"OMP_NUM_THREADS": "2"}, cores=8, memory=16 * GiB)
    assert (layout.n_workers, layout.threads_per_worker) == (4, 2)


def test_small_machines_get_one_thread_per_worker_process():
    layout = cluster.plan_layout({}, cores=2, memory=4 * GiB)
    assert (layout.n_workers, layout.threads_per_worker) == (2, 1)


def test_large_machines_get_two_threads_per_worker():
    layout = cluster.plan_layout({}, cores=32, memory=64 * GiB)
    assert (layout.n_workers, layout.threads_per_worker) == (16, 2)


def test_threads_never_exceed_cores():
    layout = cluster.plan_layout({"OMP_NUM_THREADS": "64"}, cores=4, memory=4 * GiB)
    assert (layout.n_workers, layout.threads_per_worker) == (1, 4)


def test_memory_is_shared_out_with_a_margin():
    layout = cluster.plan_layout({}, cores=4, memory=10 * GiB, memory_fraction=0.8)
    assert layout.memory_limit == int(10 * GiB * 0.8 / 4)


def test_slurm_memory_wins_over_machine_memory():
    assert cluster.available_memory({"SLURM_MEM_PER_NODE": "2048"}) == 2048 * 1024**2


def test_in_the_graders_sandbox_its_memory_limit_is_what_a_cluster_may_use():
    assert cluster.available_memory({"HPCLAB_MEMORY_LIMIT": str(3 * GiB), "SLURM_MEM_PER_NODE": "8192"}) == 3 * GiB


def test_memory_per_cpu_counts_the_cpus_on_the_node():
    env = {"SLURM_MEM_PER_CPU": "1024", "SLURM_CPUS_ON_NODE": "4", "SLURM_CPUS_PER_TASK": "2"}
    assert cluster.available_memory(env) == 4 * GiB


def test_outside_slurm_memory_respects_a_limit_set_on_the_process():
    """ulimit -m (RLIMIT_RSS) of 3 GiB, which Dask reads: a cluster must not plan for all of the machine."""
    code = (
        "import resource; resource.setrlimit(resource.RLIMIT_RSS, (3 * 2**30, 3 * 2**30)); "
        "from hpclab import cluster; print(cluster.available_memory({}))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout) <= 3 * 2**30


def test_a_tasks_dask_memory_limit_is_its_share_of_the_job():
    per_cpu = {"SLURM_MEM_PER_CPU": "1000", "SLURM_CPUS_PER_TASK": "2"}
    assert cluster.slurm_task_memory(per_cpu) == int(2000 * 1024**2 * 0.9)
    per_node = {"SLURM_MEM_PER_NODE": "8000", "SLURM_NTASKS_PER_NODE": "4"}
    assert cluster.slurm_task_memory(per_node, share=1.0) == 2000 * 1024**2
    assert cluster.slurm_task_memory({}) is None


def test_cpus_per_task_is_checked_and_defaults_to_one():
    assert cluster.slurm_cpus_per_task({}) == 1
    assert cluster.slurm_cpus_per_task({"SLURM_CPUS_PER_TASK": "8"}) == 8
    with pytest.raises(ValueError, match="SLURM_CPUS_PER_TASK='eight'"):
        cluster.slurm_cpus_per_task({"SLURM_CPUS_PER_TASK": "eight"})


@pytest.mark.parametrize("value", ["four", "0", "-2"])
def test_bad_thread_setting_names_the_variable(value):
    with pytest.raises(ValueError, match="SLURM_CPUS_PER_TASK"):
        cluster.plan_layout({"SLURM_CPUS_PER_TASK": value}, cores=4, memory=GiB)


def test_scheduler_file_argument_beats_environment(tmp_path):
    env = {config.SCHEDULER_FILE: str(tmp_path / "env.json")}
    assert cluster.scheduler_file_from(tmp_path / "arg.json", env) == tmp_path / "arg.json"
    assert cluster.scheduler_file_from(None, env) == tmp_path / "env.json"
    assert cluster.scheduler_file_from(None, {}) is None


@pytest.mark.slow
def test_local_client_runs_on_loopback_and_stops_its_workers(capsys, monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    with cluster.client(n_workers=2, threads_per_worker=1, memory_limit="1GiB") as c:
        workers = c.scheduler_info()["workers"]
        assert c.submit(sum, [1, 2, 3]).result() == 6
        assert len(workers) == 2
        assert all(addr.startswith("tls://127.0.0.1:") for addr in workers)  # TLS by default
        assert all(w["memory_limit"] == 1024**3 for w in workers.values())
        assert c.dashboard_link.startswith("http://127.0.0.1:")
        cluster_obj = c.cluster
    assert cluster_obj.status.name == "closed"
    # Starting workers must not leave OMP_NUM_THREADS=1 behind in our process.
    assert "OMP_NUM_THREADS" not in os.environ
    assert "dashboard: http://127.0.0.1:" in capsys.readouterr().out


@pytest.mark.slow
def test_on_a_shared_login_node_start_makes_a_small_cluster_and_says_so(capsys, monkeypatch):
    """The 128-CPU login node (its files), sbatch installed: 4 workers and one line on how to ask for more."""
    for name in ("OMP_NUM_THREADS", config.CORES, "SLURM_JOB_ID", "SLURM_CPUS_PER_TASK", config.MEMORY_LIMIT):
        monkeypatch.delenv(name, raising=False)
    here = cluster.session(MACHINES / "login-128")
    monkeypatch.setattr(cluster_layout, "session", lambda: here)
    monkeypatch.setattr(cluster_layout, "shared_machine", lambda env: "Slurm's sbatch is installed: a login node")
    with cluster.client() as c:
        workers = c.scheduler_info()["workers"]
        assert len(workers) == 4
        assert {w["nthreads"] for w in workers.values()} == {1}
        assert {w["memory_limit"] for w in workers.values()} == {int(16 * GiB * 0.8 / 4)}
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Local Dask cluster: 4 workers x 1 thread"), lines
    assert lines[1].startswith("Shared machine (Slurm's sbatch is installed: a login node)"), lines
    assert "4 of 128 cores" in lines[1] and f"{config.CORES}=N" in lines[1], lines


def test_missing_scheduler_file_says_how_to_start_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="dask-mpi --scheduler-file"):
        cluster.start(tmp_path / "nope.json")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_stale_scheduler_file_gives_a_connection_error(tmp_path):
    stale = tmp_path / "scheduler.json"
    stale.write_text(json.dumps({"type": "Scheduler", "address": f"tcp://127.0.0.1:{_free_port()}", "workers": {}}))
    with pytest.raises(ConnectionError, match="delete the stale file"):
        cluster.start(stale, timeout=2)


@pytest.fixture
def scheduler_file(tmp_path):
    """A real scheduler and worker started with Dask's own CLI, found by scheduler file."""
    with cli_scheduler_and_worker(tmp_path / "scheduler.json") as path:
        yield path


@pytest.mark.slow
def test_client_connects_through_the_environment_variable(scheduler_file, monkeypatch):
    monkeypatch.setenv(config.SCHEDULER_FILE, str(scheduler_file))
    with cluster.client(timeout=30, quiet=True) as c:
        c.wait_for_workers(1, timeout=60)
        assert c.submit(pow, 2, 10).result() == 1024
        assert c.scheduler.address == json.loads(scheduler_file.read_text())["address"]


@pytest.mark.parametrize(
    "base, link",
    [
        ("/", "/proxy/{port}/status"),
        ("/user/ada/", "/user/ada/proxy/{port}/status"),
        ("/node/cn01/8888", "/node/cn01/8888/proxy/{port}/status"),
    ],
)
def test_under_a_jupyter_server_the_dashboard_goes_through_its_port(base, link):
    assert cluster.dashboard_link_template({}, server={"base_url": base}) == link


def test_jupyterhub_prefix_is_used_when_no_server_file_is_found():
    env = {"JUPYTERHUB_SERVICE_PREFIX": "/user/ada/"}
    assert cluster.dashboard_link_template(env, server={}) == "/user/ada/proxy/{port}/status"


def test_outside_jupyter_the_link_is_dasks_own():
    assert cluster.dashboard_link_template({}, server={}) == cluster.DASK_DEFAULT_LINK


def _server_file(folder, pid: int, base_url: str) -> None:
    info = {"pid": pid, "port": 8888, "base_url": base_url, "url": f"http://127.0.0.1:8888{base_url}"}
    (folder / f"jpserver-{pid}.json").write_text(json.dumps(info))


def test_the_server_found_is_an_ancestor_of_this_process(tmp_path):
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _server_file(tmp_path, stranger.pid, "/someone-else/")
        assert cluster.jupyter_server({}, runtime_dir=tmp_path) is None
        _server_file(tmp_path, os.getppid(), "/mine/")
        assert cluster.jupyter_server({}, runtime_dir=tmp_path)["base_url"] == "/mine/"
    finally:
        stranger.kill()
        stranger.wait()
    (tmp_path / f"jpserver-{os.getppid()}.json").write_text("not json")  # a broken file is skipped, not an error
    assert cluster.jupyter_server({"JPY_PARENT_PID": str(os.getpid())}, runtime_dir=tmp_path) is None


@pytest.mark.slow
def test_a_kernel_under_a_jupyter_server_prints_the_proxied_dashboard_link(tmp_path):
    """A real kernel (its parent: this process, posing as the Jupyter server) finds the server file."""
    import nbformat

    from hpclab.grading.execute import execute

    _server_file(tmp_path, os.getpid(), "/user/ada/")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import hpclab.cluster\n"
            "client = hpclab.cluster.start(n_workers=1, memory_limit='1GiB')\n"
            "port = client.scheduler_info()['services']['dashboard']\n"
            "assert client.dashboard_link == f'/user/ada/proxy/{port}/status', client.dashboard_link\n"
            "client.close()"
        )
    ]
    run = execute(nb, tmp_path, timeout=300, cell_timeout=240, env={"JUPYTER_RUNTIME_DIR": str(tmp_path)})
    assert run.status == "ok", run.message
    printed = "".join(o.get("text", "") for o in run.notebook.cells[0].outputs)
    assert "dashboard: /user/ada/proxy/" in printed and "tunnel to JupyterLab" in printed
