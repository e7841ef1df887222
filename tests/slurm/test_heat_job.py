"""heat.py: distributed for real (no rank holds the whole field), and heat.sh on the virtual cluster."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from hpclab import mpi
from hpclab.slurm import vcluster
from tests.support import ROOT, running_vcluster

HEAT = ROOT / "jobscripts/programs/heat.py"
N, STEPS = 96, 150
RESULT = re.compile(
    r"^heat n=(\d+) steps=(\d+) ranks=(\d+) grid=(\d+)x(\d+) time=([\d.]+)s "
    r"max_diff=(\S+) file_diff=(\S+) hosts=(\S+)$",
    re.M,
)


@pytest.fixture(scope="module")
def cluster():
    with running_vcluster("heat") as spec:
        yield spec


@pytest.mark.slurm
@pytest.mark.slow
def test_heat_job_on_two_nodes_matches_the_serial_solution(cluster, tmp_path):
    field = tmp_path / "field.bin"
    job_id = vcluster.submit(
        cluster,
        "jobscripts/heat.sh",
        cwd=ROOT,
        args=[str(N), str(STEPS), str(field)],
        sbatch_options=[f"--output={tmp_path}/%x-%j.out"],
    )
    job = vcluster.wait(cluster, job_id, timeout=240)
    out = job.output()
    assert job.ok, f"heat.sh ended {job.state} {job.exit_code}:\n{out[-3000:]}"
    print(out)  # shown with pytest -s
    match = RESULT.search(out)
    assert match, out[-3000:]
    n, steps, ranks, rows, cols, _, max_diff, file_diff, hosts = match.groups()
    assert (int(n), int(steps), int(ranks), int(rows) * int(cols)) == (N, STEPS, 4, 4), out
    assert float(max_diff) < 1e-12 and float(file_diff) < 1e-12, out  # small N: heat.sh asks for --check
    assert hosts == "node1,node2", f"both nodes must take part: {out}"
    assert f"field written to {field} ({N * N * 8} bytes)" in out, out

    # Read the file here too and compare it with the program's own serial NumPy solution,
    # computed in this process (no MPI needed: only its plain functions are loaded).
    written = np.fromfile(field, dtype=np.float64).reshape(N, N)
    assert np.max(np.abs(written - serial_solution(N, STEPS))) < 1e-12


BIG_N = 4096  # one n x n float64 field is 128 MiB


@pytest.mark.slurm
@pytest.mark.slow
def test_heat_job_at_a_realistic_size_fits_its_memory_request_and_writes_to_scratch(cluster, tmp_path):
    """N=4096 on 4 ranks: each holds a quarter of the field, well within --mem-per-cpu=500M.

    The file goes to HPCLAB_SCRATCH when no FILE is given, not to the submit directory.
    """
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    job_id = vcluster.submit(
        cluster,
        "jobscripts/heat.sh",
        cwd=ROOT,
        args=[str(BIG_N), "3"],
        sbatch_options=[f"--output={tmp_path}/%x-%j.out", f"--export=ALL,HPCLAB_SCRATCH={scratch}"],
    )
    job = vcluster.wait(cluster, job_id, timeout=240)
    out = job.output()
    assert job.ok, f"heat.sh at N={BIG_N} ended {job.state} {job.exit_code}:\n{out[-3000:]}"
    match = RESULT.search(out)
    assert match, out[-3000:]
    assert match.group(1, 3, 7, 8) == (str(BIG_N), "4", "-", "-"), out  # large N: no serial check
    field = scratch / f"heat-{job_id}.bin"
    assert f"field written to {field} ({BIG_N * BIG_N * 8} bytes)" in out, out
    assert field.stat().st_size == BIG_N * BIG_N * 8
    assert not list(ROOT.glob(f"heat-{job_id}.bin")), "the field belongs on scratch"


def _limited(limit: int, argv: list[str]) -> list[str]:
    """``argv`` under a data-segment limit (RLIMIT_DATA: heap and private mappings) of ``limit`` bytes."""
    return ["prlimit", f"--data={limit}", *argv]


@pytest.mark.mpi
@pytest.mark.slow
def test_no_rank_holds_the_whole_field(tmp_path):
    """8 ranks run N=4096 under a per-rank limit that one N x N array does not fit in."""
    if shutil.which("prlimit") is None:
        pytest.skip("prlimit (util-linux) is missing")
    env = mpi.launcher_env()
    env["OPENBLAS_NUM_THREADS"] = "1"  # OpenBLAS reserves buffers per thread: keep the baseline small
    python = [sys.executable, "-c", "import numpy, mpi4py.MPI; print(open('/proc/self/status').read())"]
    status = subprocess.run(python, capture_output=True, text=True, env=env, timeout=60, check=True).stdout
    baseline = int(re.search(r"^VmData:\s+(\d+) kB", status, re.M).group(1)) * 1024
    whole = BIG_N * BIG_N * 8
    limit = baseline + whole * 9 // 10  # what Python, NumPy and MPI take, and 90 % of one field

    # The limit is real: under it, a process that imports the same cannot hold one field.
    grab = f"import numpy, mpi4py.MPI; numpy.ones(({BIG_N}, {BIG_N}))"
    proc = subprocess.run(_limited(limit, [sys.executable, "-c", grab]), capture_output=True, text=True, env=env)
    assert proc.returncode != 0 and "MemoryError" in proc.stderr, proc.stderr[-2000:]

    out = tmp_path / "field.bin"
    argv = [sys.executable, "-m", "mpi4py", str(HEAT), "--n", str(BIG_N), "--steps", "3", "--out", str(out)]
    launch = [mpi.find_mpiexec(), "-n", "8", *_limited(limit, argv)]
    proc = subprocess.run(launch, capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, f"heat.py failed under {limit / 2**20:.0f} MiB per rank:\n{proc.stderr[-3000:]}"
    match = RESULT.search(proc.stdout)
    assert match and match.group(1, 3) == (str(BIG_N), "8"), proc.stdout
    assert out.stat().st_size == whole


@pytest.mark.mpi
def test_check_is_refused_for_a_field_too_big_for_rank_0():
    proc = subprocess.run(
        [sys.executable, "-m", "mpi4py", str(HEAT), "--n", "4096", "--check"],
        capture_output=True,
        text=True,
        env=mpi.launcher_env(),
        timeout=60,
    )
    assert proc.returncode == 2 and "use it for n <= 2048 only" in proc.stderr, proc.stderr


@pytest.mark.mpi
def test_blocks_built_by_their_ranks_make_the_serial_field(tmp_path):
    """With --check, rank 0 gathers every rank's block and the file: both equal the serial run."""
    out = tmp_path / "field.bin"
    result = mpi.run(HEAT, 3, args=["--n", "50", "--steps", "20", "--check", "--out", str(out)], timeout=120)
    assert result.ok, result.text()
    match = RESULT.search(result.stdout[0])
    assert match and match.group(4, 5) == ("3", "1"), result.text()  # 3 ranks: uneven blocks
    assert float(match.group(7)) == 0.0 and float(match.group(8)) == 0.0, result.text()
    written = np.fromfile(out, dtype=np.float64).reshape(50, 50)
    assert np.array_equal(written, serial_solution(50, 20))


def serial_solution(n: int, steps: int) -> np.ndarray:
    """heat.py's serial_solution, taken from its source without running the MPI part."""
    tree = ast.parse(HEAT.read_text())
    keep = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and node.name in ("initial_block", "initial_field", "serial_solution")
        or isinstance(node, ast.Assign)
        and any(getattr(t, "id", "") == "ALPHA" for t in node.targets)
    ]
    namespace = {"np": np}
    exec(compile(ast.Module(body=keep, type_ignores=[]), "heat.py", "exec"), namespace)
    return namespace["serial_solution"](n, steps)


def test_the_serial_solution_can_be_loaded_without_mpi():
    u = serial_solution(16, 10)
    assert u.shape == (16, 16) and u[0, 5] == 1.0 and 0 < u[8, 8] < 1


def test_the_program_never_builds_the_whole_field_outside_the_serial_check():
    """Only serial_solution (opt-in, rank 0) may call initial_field; the ranks build blocks."""
    source = HEAT.read_text()
    main = source[source.index("parser = argparse.ArgumentParser") :]
    assert "initial_field(" not in main and "serial_solution(" in main
    assert "initial_block(n, row0, ny, col0, nx)" in main
    assert re.search(r"fh\.Close\(\)\n(?:\s*#.*\n|\s*filetype\.Free\(\)\n)*\s*cart\.Barrier\(\)", source), (
        "rank 0 must not read the file before every rank has closed it"
    )
