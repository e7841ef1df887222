"""hpclab.mpi: real mpiexec runs, per-rank output, failures and deadlocks."""

from __future__ import annotations

import pytest

from hpclab import config, mpi, mpiworker
from hpclab.errors import SetupError

# Runs real MPI: `make test-openmpi` runs this module again on Open MPI.
pytestmark = pytest.mark.mpi

HELLO = """
from mpi4py import MPI
comm = MPI.COMM_WORLD
print(f"hello from {comm.Get_rank()} of {comm.Get_size()}")
"""


def test_output_is_grouped_by_rank_in_rank_order():
    result = mpi.run(HELLO, 3)
    assert result.ok
    assert [result.stdout[r].strip() for r in range(3)] == [f"hello from {r} of 3" for r in range(3)]
    assert result.text().splitlines() == [f"[rank {r}] hello from {r} of 3" for r in range(3)]


def test_four_ranks_run_oversubscribed_on_a_small_machine():
    result = mpi.run(HELLO, 4)
    assert sorted(result.stdout) == [0, 1, 2, 3]
    assert all("of 4" in out for out in result.stdout.values())


def test_collect_returns_each_ranks_variables():
    code = "from mpi4py import MPI\nr = MPI.COMM_WORLD.rank\nsquare = r * r\n"
    result = mpi.run(code, 3, collect=["square", "absent"])
    assert [result.values[r]["square"] for r in range(3)] == [0, 1, 4]
    assert result.values[0]["absent"] == mpi.NOT_DEFINED


def test_a_file_program_gets_its_arguments(tmp_path):
    program = tmp_path / "args.py"
    program.write_text("import sys\nprint(sys.argv[1:])\n")
    result = mpi.run(program, 2, args=["a", "b"])
    assert result.stdout[1].strip() == "['a', 'b']"


def test_a_rank_that_raises_fails_the_job_instead_of_hanging():
    code = HELLO + "if comm.Get_rank() == 2:\n    raise ValueError('rank two is broken')\ncomm.Barrier()\n"
    with pytest.raises(mpi.MPIError) as info:
        mpi.run(code, 4, timeout=120)
    # It ended by itself (MPI_Abort), not by our timeout.
    assert not isinstance(info.value, mpi.MPITimeout)
    assert not info.value.result.timed_out
    assert "rank two is broken" in info.value.result.stderr[2]
    assert "--- rank 2 stderr ---" in str(info.value)
    # The traceback starts at the learner's code, not in our bootstrap.
    assert "_hpclab_bootstrap" not in info.value.result.stderr[2]


def _shm() -> set[str]:
    return {p.name for p in mpi.SHM_DIR.glob("mpich_shm_*")}


def test_a_deadlock_is_stopped_by_the_timeout_and_leaves_no_shared_memory():
    before = _shm()
    code = "from mpi4py import MPI\nc = MPI.COMM_WORLD\nc.recv(source=(c.rank + 1) % c.size)\n"
    with pytest.raises(mpi.MPITimeout, match="deadlock"):
        mpi.run(code, 2, timeout=3)
    # MPICH cannot unlink its segments when it is killed; run() must. (Segments
    # of other people's jobs may come and go meanwhile: look only for ours.)
    in_use = mpi._mapped_shm()
    leaked = {n for n in _shm() - before if str(mpi.SHM_DIR / n) not in in_use}
    assert leaked == set()


def test_check_false_returns_the_failure_instead_of_raising():
    result = mpi.run("import sys\nsys.exit(3)\n", 2, check=False)
    assert not result.ok and result.returncode != 0


def test_mpirun_magic_prints_ranks_in_order(capsys):
    mpi.mpirun_magic("-n 2", HELLO)
    assert capsys.readouterr().out.splitlines() == ["[rank 0] hello from 0 of 2", "[rank 1] hello from 1 of 2"]


def test_mpirun_magic_raises_with_the_failing_ranks_stderr():
    with pytest.raises(mpi.MPIError, match="ZeroDivisionError"):
        mpi.mpirun_magic("-n 2 --timeout 60", "1 / 0\n")


def test_mpirun_magic_rejects_bad_options():
    with pytest.raises(ValueError, match="usage: %%mpirun"):
        mpi.mpirun_magic("-n two", HELLO)


def test_zero_ranks_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        mpi.run(HELLO, 0)


def test_explicit_launcher_that_does_not_exist_is_reported(monkeypatch):
    monkeypatch.setenv(config.MPIEXEC, "/nonexistent/mpiexec")
    with pytest.raises(FileNotFoundError, match="HPCLAB_MPIEXEC"):
        mpi.run(HELLO, 2)


def test_open_mpi_may_run_as_root_only_when_asked():
    asked = mpi.launcher_env({"HPCLAB_MPI_AS_ROOT": "1", "PATH": "/bin"})
    assert asked["OMPI_ALLOW_RUN_AS_ROOT"] == asked["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] == "1"
    not_asked = mpi.launcher_env({"PATH": "/bin"})
    assert "OMPI_ALLOW_RUN_AS_ROOT" not in not_asked and "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM" not in not_asked


def test_the_innermost_launcher_names_the_rank():
    step = {"SLURM_STEP_ID": "0", "SLURM_PROCID": "0", "SLURM_STEP_NUM_TASKS": "1"}
    # mpiexec inside a one-task Slurm step: every rank inherits SLURM_PROCID=0, so MPI's own variables win.
    inner = mpi.launcher_view({**step, "PMI_RANK": "3", "PMI_SIZE": "4"})
    assert (inner["launcher"], inner["rank"], inner["size"]) == ("mpiexec (PMI)", 3, 4)
    # srun --mpi=pmi2: Slurm's own PMI agrees with the step, and srun is named.
    srun = mpi.launcher_view(
        {
            "SLURM_STEP_ID": "0",
            "SLURM_PROCID": "2",
            "SLURM_STEP_NUM_TASKS": "4",
            "PMI_RANK": "2",
            "PMI_SIZE": "4",
            "SLURM_MPI_TYPE": "pmi2",
        }
    )
    assert (srun["launcher"], srun["rank"], srun["size"], srun["pmi"]) == ("srun", 2, 4, "pmi2")
    # srun without PMI (the "rank 0 of 1" trap): only Slurm's numbers.
    bare = mpi.launcher_view({"SLURM_STEP_ID": "0", "SLURM_PROCID": "1", "SLURM_STEP_NUM_TASKS": "4"})
    assert (bare["launcher"], bare["rank"], bare["size"], bare["pmi"]) == ("srun", 1, 4, "")
    assert mpi.launcher_view({"OMPI_COMM_WORLD_RANK": "1", "OMPI_COMM_WORLD_SIZE": "2"})["rank"] == 1
    assert mpi.launcher_view({}) == {}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("mpirun (Open MPI) 4.1.5\n\nReport bugs to http://www.open-mpi.org/community/help/", ("Open MPI", "4.1.5")),
        ("mpirun (Open MPI) 5.0.3", ("Open MPI", "5.0.3")),
        ("HYDRA build details:\n    Version:                                 4.0.2\n", ("MPICH", "4.0.2")),
        ("Intel(R) MPI Library for Linux* OS, Version 2021.10 Build 20230619", ("Intel MPI", "2021.10")),
        ("slurm 22.05.8", ("Slurm", "22.05.8")),
        ("something else", ("", "")),
    ],
)
def test_launchers_are_recognised_from_their_version_text(text, expected):
    assert mpi.identify_launcher(text) == expected


def test_mpi_capable_dask_workers_refuse_open_mpi_with_the_reason():
    """Under Open MPI (make test-openmpi) separate mpiexec jobs cannot connect: say so instead of hanging."""
    from mpi4py import MPI

    from hpclab import cluster
    from hpclab.errors import SetupError

    if "Open MPI" not in MPI.Get_library_version():
        pytest.skip("MPICH connects separate mpiexec jobs; tests/test_mpi_cluster.py runs them")
    with pytest.raises(SetupError, match="need an MPICH-family MPI"):
        cluster.start(n_workers=1, mpi=True, quiet=True)


class _FakeMPI:
    """What mpi4py.MPI says about the library, and nothing else: a stand-in for another MPI family."""

    def __init__(self, vendor: str):
        self.vendor = vendor

    def get_vendor(self):
        return (self.vendor, (5, 0, 3))


def test_the_jobqueue_mpi_route_refuses_open_mpi_with_start_mpis_reason(monkeypatch):
    """Open MPI's separate one-task jobs never connect: the capstone would hang until its wall time."""
    monkeypatch.setattr(mpiworker, "import_mpi", lambda: _FakeMPI("Open MPI"))
    with pytest.raises(SetupError) as refused_start:
        mpiworker.require_connectable_mpi()  # what start(mpi=True) calls first
    with pytest.raises(SetupError) as refused_jobqueue:
        mpiworker.jobqueue_options()
    assert str(refused_jobqueue.value) == str(refused_start.value)
    assert "MPICH" in str(refused_jobqueue.value)


@pytest.mark.parametrize("plugin", ["pmix", "pmi2"])
def test_the_jobqueue_launcher_takes_srun_mpi_from_the_site_profile(monkeypatch, plugin):
    """jobscripts/site/example-cluster.sh exports SLURM_MPI_TYPE=pmix; the virtual cluster's pmi2."""
    monkeypatch.setattr(mpiworker, "import_mpi", lambda: _FakeMPI("MPICH"))
    options = mpiworker.jobqueue_options(python="python3", env={"SLURM_MPI_TYPE": plugin})
    assert options["python"].startswith(f"srun --mpi={plugin} -n 1 "), options
    assert options["python"].endswith(" python3")
    assert mpiworker.jobqueue_options(python="python3", env={})["python"].startswith("srun --mpi=pmi2 -n 1 ")
    assert mpiworker.jobqueue_options("mpiexec -n 1", python="python3")["python"] == "mpiexec -n 1 python3"
