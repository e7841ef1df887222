"""MPI on any Dask cluster: hpclab.cluster.start(mpi=True) workers, the grown communicator, a lost worker.

Real parts only: every worker is a real `mpiexec -n 1` job of the MPICH wheel,
the communicator is built with MPI_Open_port/Accept/Connect/Merge, and the
resilience test SIGKILLs a worker while its partners are inside MPI_Allreduce.
"""

from __future__ import annotations

import ast
import math
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import psutil
import pytest

from hpclab import handoff, mpiworker
from hpclab.handoff.worker import mpi_status
from tests.handoff_programs import handoff_scenarios
from tests.support import ROOT
from tests.support.handoff import assert_handoff_output, kill_the_victim, output_lines

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def _workers_find_the_scenarios():
    """Dask pickles importable functions by name: the workers (started in this module) must import them too."""
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), before]))
    yield
    if before is None:
        os.environ.pop("PYTHONPATH")
    else:
        os.environ["PYTHONPATH"] = before


def _start(n: int, threads: int = 1):
    import hpclab.cluster

    return hpclab.cluster.start(n_workers=n, threads_per_worker=threads, mpi=True, quiet=True)


def _worker_processes(client) -> dict[str, psutil.Process]:
    return {a: psutil.Process(pid) for a, pid in client.run(os.getpid).items()}


def _launchers(procs) -> list[psutil.Process]:
    """The mpiexec of each worker (the worker's parent is hydra's proxy, whose parent is mpiexec)."""
    found = []
    for proc in procs:
        for parent in proc.parents():
            if parent.name().startswith("mpiexec"):
                found.append(parent)
                break
    return found


def test_tree_rounds_merge_every_worker_once_in_ceil_log2_rounds():
    for n in range(1, 17):
        rounds = handoff.tree_rounds(n)
        assert len(rounds) == (math.ceil(math.log2(n)) if n > 1 else 0)
        groups = {i: [i] for i in range(n)}
        for pairs in rounds:
            busy = [i for pair in pairs for i in pair]
            assert len(busy) == len(set(busy)), "a worker takes part in one Accept or Connect per round"
            for accept, connect in pairs:
                groups[accept] += groups.pop(connect)
        assert groups == {0: list(range(n))}, "ranks keep the workers' order"


@pytest.fixture(scope="module")
def client():
    c = _start(3)
    try:
        yield c
    finally:
        c.close()


def test_mpi_workers_are_one_process_mpi_jobs_outside_the_callers_session(client):
    status = client.run(mpi_status)
    assert len(status) == 3
    assert all(s["mpi"] and s["size"] == 1 and s["launched"] for s in status.values()), status
    procs = _worker_processes(client).values()
    assert len(_launchers(procs)) == 3, "each worker is started by an mpiexec of its own"
    assert all(os.getsid(p.pid) != os.getsid(0) for p in procs), "a Jupyter interrupt must not reach them"


def test_the_same_functions_as_under_dask_mpi_agree_with_numpy_including_uneven_placement(client):
    assert_handoff_output("\n".join(handoff_scenarios.scenarios(client, timeout=60)), workers=3)


def test_the_communicator_takes_ceil_log2_rounds_and_is_reused_while_the_workers_stay(client):
    workers = sorted(client.scheduler_info(n_workers=-1)["workers"])
    first = handoff.communicator(client, workers[:2], timeout=60)
    assert first["built"] and first["rounds"] == 1 and first["mode"] == "connect"
    everyone = handoff.communicator(client, timeout=60)  # the set changed: built again, over all three
    assert everyone["built"] and everyone["rounds"] == 2
    again = handoff.communicator(client, timeout=60)
    assert not again["built"] and again["workers"] == everyone["workers"]


def test_one_thread_workers_busy_with_tasks_still_build_and_run_mpi(client):
    import dask.array as da
    import distributed

    x = client.persist(da.arange(40, chunks=7, dtype=float))
    distributed.wait(x)
    gate = distributed.Event("mpi-cluster-busy-gate", client=client)
    workers = sorted(client.scheduler_info(n_workers=-1)["workers"])

    def occupy(_):
        distributed.Event("mpi-cluster-busy-gate").wait(120)  # holds the worker's only thread
        return 1

    busy = [client.submit(occupy, i, workers=[w], pure=False) for i, w in enumerate(workers)]
    try:
        deadline = time.monotonic() + 60
        while sum(len(p) for p in client.processing().values()) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert all(client.processing().values()), "every worker's only thread is taken"
        client.run(lambda dask_worker: setattr(dask_worker, "_hpclab_mpi", None))  # forget the communicator
        results = handoff.run_on_workers(client, x, handoff_scenarios.partial_sum, mpi=True, timeout=60)
        assert {r["total"] for r in results.values()} == {float(np.arange(40).sum())}
        assert not any(f.done() for f in busy), "the MPI phase ran beside the busy tasks, not after them"
    finally:
        gate.set()
    assert client.gather(busy) == [1, 1, 1]


def test_calls_from_two_clients_at_once_take_turns_instead_of_deadlocking_in_the_build(client):
    import dask.array as da
    import distributed

    # Two notebooks on one cluster, each calling at the same moment while no communicator exists yet:
    # without the scheduler's lock both builds' Accept/Connect rounds reach the workers' MPI threads
    # in different orders and every worker waits for a partner busy with the other build (measured).
    other = distributed.Client(client.scheduler.address, security=client.security)
    try:
        arrays = {c: c.persist(da.arange(60, chunks=7, dtype=float)) for c in (client, other)}
        distributed.wait(list(arrays.values()))
        client.run(lambda dask_worker: setattr(dask_worker, "_hpclab_mpi", None))  # forget the communicator
        results, errors = [], []

        def call(c):
            try:
                results.append(
                    handoff.run_on_workers(c, arrays[c], handoff_scenarios.partial_sum, mpi=True, timeout=20)
                )
            except Exception as exc:
                errors.append(exc)

        threads = [threading.Thread(target=call, args=(c,)) for c in (client, other) * 2]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert [{r["total"] for r in result.values()} for result in results] == [{float(np.arange(60).sum())}] * 4
    finally:
        other.close()


def test_a_call_waiting_longer_than_its_timeout_for_another_mpi_phase_says_so(client):
    import dask.array as da
    import distributed

    x = client.persist(da.ones(30, chunks=10))
    distributed.wait(x)
    held = distributed.Lock(handoff.MPI_PHASE_LOCK, scheduler_rpc=client.scheduler, loop=client.loop)
    assert held.acquire(timeout=30)
    try:
        with pytest.raises(handoff.HandoffTimeout, match="another MPI phase"):
            handoff.run_on_workers(client, x, handoff_scenarios.partial_sum, mpi=True, timeout=1)
    finally:
        held.release()
    results = handoff.run_on_workers(client, x, handoff_scenarios.partial_sum, mpi=True, timeout=60)
    assert {r["total"] for r in results.values()} == {30.0}


def test_an_error_in_func_is_raised_and_the_partners_left_waiting_are_restarted(client):
    import dask.array as da
    import distributed

    x = client.persist(da.ones(30, chunks=10))
    distributed.wait(x)

    def fails_on_rank_0(pieces, blocks, comm):
        if comm.Get_rank() == 0:
            raise ValueError("rank 0 found a bad block")
        return comm.allreduce(1)  # never completes: rank 0 is not there

    before = set(client.run(os.getpid).values())
    with pytest.raises(ValueError, match="rank 0 found a bad block"):
        handoff.run_on_workers(client, x, fails_on_rank_0, mpi=True, timeout=5, attempts=2)
    client.wait_for_workers(3, timeout=60)
    assert len(before - set(client.run(os.getpid).values())) == 2, "the two stuck workers were restarted"
    distributed.wait(x)
    results = handoff.run_on_workers(client, x, handoff_scenarios.partial_sum, mpi=True, timeout=60)
    assert {r["total"] for r in results.values()} == {30.0}


def test_a_worker_killed_while_its_partners_are_inside_allreduce_is_survived(tmp_path):
    import dask.array as da
    import distributed

    data = np.random.default_rng(5).random(120)
    victim_file = tmp_path / "victim.pid"

    def sum_with_a_victim(pieces, blocks, comm, victim_file):
        from mpi4py import MPI

        if comm.Get_rank() == comm.Get_size() - 1 and not os.path.exists(victim_file + ".done"):
            with open(victim_file + ".tmp", "w") as f:
                f.write(str(os.getpid()))
            os.replace(victim_file + ".tmp", victim_file)
            time.sleep(600)  # SIGKILLed here, while the others wait inside Allreduce
        local = np.array([sum(float(b.sum()) for b in blocks)], dtype=float)
        total = np.zeros(1)
        comm.Allreduce(local, total, op=MPI.SUM)
        return float(total[0])

    killed: dict = {}

    c = _start(3)
    try:
        x = c.persist(da.from_array(data, chunks=((50, 10, 60),)) * 3)
        distributed.wait(x)
        thread = kill_the_victim(victim_file, killed)
        begun = time.monotonic()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            results = handoff.run_on_workers(
                c, x, sum_with_a_victim, mpi=True, timeout=8, attempts=3, args=(str(victim_file),)
            )
        thread.join(5)
        assert "pid" in killed, "the victim was never killed: the test proves nothing"
        assert len(results) == 3 and all(v == pytest.approx((data * 3).sum()) for v in results.values()), results
        retries = [w for w in caught if issubclass(w.category, handoff.HandoffRetry)]
        assert len(retries) == 1, [str(w.message) for w in caught]
        assert "was lost" in str(retries[0].message) and "is stuck in" in str(retries[0].message)
        assert not psutil.pid_exists(killed["pid"])
        print(f"survived a worker killed mid-Allreduce in {time.monotonic() - begun:.1f} s: {retries[0].message}")
    finally:
        c.close()


def test_a_lost_worker_without_attempts_left_is_a_clear_timeout_even_when_the_partner_holds_the_gil():
    import dask.array as da
    import distributed

    def rank_1_dies(pieces, blocks, comm):
        if comm.Get_rank() == 1:
            os.kill(os.getpid(), signal.SIGKILL)
        return comm.allreduce(1)

    c = _start(2)
    try:
        x = c.persist(da.ones(20, chunks=10))
        distributed.wait(x)
        with pytest.raises(
            handoff.HandoffTimeout,
            match=r"(?s)failed after 1 of 1 attempt.*is stuck in rank_1_dies.*not answering at all",
        ):
            handoff.run_on_workers(c, x, rank_1_dies, mpi=True, timeout=5)
    finally:
        c.close()


def test_under_dask_mpi_a_rank_killed_mid_allreduce_ends_the_whole_job_instead_of_hanging():
    """dask-mpi's workers share one MPI_COMM_WORLD: the launcher ends every rank when one dies."""
    from hpclab import mpi

    result = mpi.run(Path(__file__).parent / "handoff_programs" / "dask_mpi_kill.py", n=5, timeout=120, check=False)
    assert not result.timed_out, "a survivor waited forever"
    assert result.returncode != 0
    assert "calling" in result.stdout.get(1, ""), result.failure_report()
    assert "survived" not in result.stdout.get(1, "")


def test_closing_the_client_stops_every_worker_and_its_mpiexec():
    c = _start(2)
    procs = list(_worker_processes(c).values())
    launchers = _launchers(procs)
    assert len(launchers) == 2
    c.close()
    gone, alive = psutil.wait_procs(procs + launchers, timeout=15)
    assert not alive, alive


def test_workers_end_when_the_process_that_started_them_is_killed(tmp_path):
    program = tmp_path / "owner.py"
    program.write_text(
        textwrap.dedent("""
        import os, sys, time
        import hpclab.cluster
        c = hpclab.cluster.start(n_workers=2, threads_per_worker=1, mpi=True, quiet=True)
        print(" ".join(str(p) for p in c.run(os.getpid).values()), flush=True)
        time.sleep(600)
    """)
    )
    owner = subprocess.Popen([sys.executable, str(program)], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in owner.stdout.readline().split()]
        assert len(pids) == 2
        procs = [psutil.Process(p) for p in pids]
        launchers = _launchers(procs)
    finally:
        owner.kill()
        owner.wait()
    gone, alive = psutil.wait_procs(procs + launchers, timeout=20)
    for proc in alive:
        proc.kill()
    assert not alive, "MPI workers outlived the process that started them"


def test_workers_get_the_clusters_tls_credentials():
    pytest.importorskip("cryptography", reason="Security.temporary() needs cryptography (a dependency with issue 12)")
    import dask.array as da
    import distributed
    from distributed import Client, LocalCluster
    from distributed.security import Security

    security = Security.temporary()
    cluster = LocalCluster(
        n_workers=0,
        protocol="tls://",
        host="127.0.0.1",
        security=security,
        dashboard_address="127.0.0.1:0",
        processes=True,
    )
    try:
        cluster.new_spec = mpiworker.mpi_worker_spec(nthreads=1, memory_limit="1GiB", security=cluster.security)
        cluster.scale(2)
        with Client(cluster, security=security) as c:
            c.wait_for_workers(2, timeout=60)
            assert all(a.startswith("tls://") for a in c.scheduler_info()["workers"])
            x = c.persist(da.arange(10, chunks=3, dtype=float))
            distributed.wait(x)
            results = handoff.run_on_workers(c, x, handoff_scenarios.partial_sum, mpi=True, timeout=60)
            assert {r["total"] for r in results.values()} == {45.0}
    finally:
        cluster.close()


def test_security_env_is_empty_without_tls_and_carries_pem_text_with_it():
    pytest.importorskip("cryptography", reason="Security.temporary() needs cryptography (a dependency with issue 12)")
    from distributed.security import Security

    assert mpiworker.security_env(None) == {}
    assert mpiworker.security_env(Security()) == {}
    env = mpiworker.security_env(Security.temporary())
    assert env["DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION"] == "True"
    assert "BEGIN CERTIFICATE" in env["DASK_DISTRIBUTED__COMM__TLS__CA_FILE"]
    assert "PRIVATE KEY" in env["DASK_DISTRIBUTED__COMM__TLS__WORKER__KEY"]


# ------------------------------------------------------------------ dask-jobqueue workers on the virtual Slurm cluster


@pytest.mark.slurm
def test_jobqueue_workers_launched_by_srun_run_the_same_functions(tmp_path):
    from hpclab.slurm import vcluster
    from tests.support import ROOT, running_vcluster

    with running_vcluster("mpicluster") as spec:
        job_id = vcluster.submit(
            spec,
            "tests/handoff_programs/jobqueue-handoff.sh",
            cwd=ROOT,
            sbatch_options=[f"--output={tmp_path}/%x-%j.out", f"--export=ALL,HPCLAB_JOBQUEUE_LOGS={tmp_path}"],
        )
        job = vcluster.wait(spec, job_id, timeout=400)
        out = job.output()
    assert job.ok, f"jobqueue handoff job ended {job.state} {job.exit_code}:\n{out[-4000:]}"
    assert "srun --mpi=pmi2 -n 1" in out and "--no-nanny" in out and "--preload hpclab.mpiworker" in out, out
    assert_handoff_output(out, workers=2)
    assert len(output_lines(out)["hosts"].split()) >= 1, out


@pytest.mark.slurm
def test_the_capstone_runs_unchanged_on_jobqueue_workers(tmp_path):
    import re

    from hpclab.slurm import vcluster
    from tests.support import ROOT, running_vcluster

    with running_vcluster("mpicluster") as spec:
        job_id = vcluster.submit(
            spec,
            "jobscripts/capstone-jobqueue.sh",
            cwd=ROOT,
            args=["10"],
            sbatch_options=[f"--output={tmp_path}/%x-%j.out", f"--export=ALL,HPCLAB_JOBQUEUE_LOGS={tmp_path}"],
        )
        job = vcluster.wait(spec, job_id, timeout=400)
        out = job.output()
    assert job.ok, f"capstone-jobqueue ended {job.state} {job.exit_code}:\n{out[-4000:]}"
    difference = re.search(r"^max difference from NumPy: (\S+)$", out, re.M)
    assert difference and float(difference.group(1)) < 1e-9, out[-3000:]
    match = re.search(r"^area-weighted mean (-?[\d.]+) °C \(NumPy (-?[\d.]+)\) on 2 workers", out, re.M)
    assert match and match.group(1) == match.group(2), out[-3000:]
    kept = re.search(
        r"^smoothed map kept on the workers \((\d+) blocks\); its area-weighted mean by Dask (-?[\d.]+) °C "
        r"\(NumPy (-?[\d.]+)\)$",
        out,
        re.M,
    )
    assert kept and kept.group(2) == kept.group(3), out[-3000:]  # Dask analysed MPI's result where it lay
    assert re.search(r"^scheduler: tls://", out, re.M), out[-3000:]  # strangers are refused (docs/security.md)


# ------------------------------------------------------------------ course programs never wait without end

PROGRAMS = sorted((ROOT / "jobscripts" / "programs").glob("*.py"))
WAITS = {"wait_for_workers", "run_on_workers", "wait", "result", "Client", "client", "start", "pipeline"}


def _name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _calls(path: Path):
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call):
            yield node, _name(node)


@pytest.mark.parametrize("program", [p for p in PROGRAMS if p.name != "heat.py"], ids=lambda p: p.name)
def test_every_wait_on_the_cluster_in_a_course_program_has_a_timeout(program):
    """A stuck MPI build or a lost worker ends with an error naming the wait, not a job held to its wall time.

    Every call that waits on the cluster or the handoff passes timeout=; a gather is only of futures
    already waited for (never of a fresh client.map).
    """
    missing = []
    for node, name in _calls(program):
        if name in WAITS and not any(k.arg == "timeout" for k in node.keywords):
            missing.append(f"line {node.lineno}: {name}(...) without timeout=")
        if name == "gather" and any(isinstance(a, ast.Call) and _name(a) == "map" for a in node.args):
            missing.append(f"line {node.lineno}: gather(client.map(...)): wait(futures, timeout=...) first")
    assert not missing, f"{program.name}: " + "; ".join(missing)
