"""jobscripts/heat.sh on the virtual cluster: 4 ranks on two nodes give the serial field."""

from __future__ import annotations

import ast
import re

import numpy as np
import pytest

from hpclab.slurm import vcluster
from tests.support import ROOT, running_vcluster

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
    assert float(max_diff) < 1e-12 and float(file_diff) < 1e-12, out
    assert hosts == "node1,node2", f"both nodes must take part: {out}"
    assert f"field written to {field} ({N * N * 8} bytes)" in out, out

    # Read the file here too and compare it with the program's own serial NumPy solution,
    # computed in this process (no MPI needed: only its plain functions are loaded).
    written = np.fromfile(field, dtype=np.float64).reshape(N, N)
    assert np.max(np.abs(written - serial_solution(N, STEPS))) < 1e-12


def serial_solution(n: int, steps: int) -> np.ndarray:
    """heat.py's serial_solution, taken from its source without running the MPI part."""
    tree = ast.parse((ROOT / "jobscripts/programs/heat.py").read_text())
    keep = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and node.name in ("initial_field", "serial_solution")
        or isinstance(node, ast.Assign)
        and any(getattr(t, "id", "") == "ALPHA" for t in node.targets)
    ]
    namespace = {"np": np}
    exec(compile(ast.Module(body=keep, type_ignores=[]), "heat.py", "exec"), namespace)
    return namespace["serial_solution"](n, steps)


def test_the_serial_solution_can_be_loaded_without_mpi():
    u = serial_solution(16, 10)
    assert u.shape == (16, 16) and u[0, 5] == 1.0 and 0 < u[8, 8] < 1
