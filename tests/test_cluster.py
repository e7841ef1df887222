"""hpclab.cluster: layout from the environment, local clusters, scheduler files."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from hpclab import cluster, config
from tests.support import cli_scheduler_and_worker

GiB = 1024**3


def test_threads_come_from_slurm_cpus_per_task_first():
    layout = cluster.plan_layout({"SLURM_CPUS_PER_TASK": "4", "OMP_NUM_THREADS": "2"}, cores=16, memory=32 * GiB)
    assert (layout.n_workers, layout.threads_per_worker) == (4, 4)
    assert "SLURM_CPUS_PER_TASK" in layout.reason


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
