"""hpclab bench measures and reports; it never judges speed (that would be a flaky test)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from hpclab.tools import bench

# Runs real MPI: `make test-openmpi` runs this module again on Open MPI.
pytestmark = pytest.mark.mpi


def test_side_by_side_alternates_and_keeps_medians():
    calls = []
    result = bench.side_by_side(
        "demo", ("a", lambda: calls.append("a") or 4.0), ("b", lambda: calls.append("b") or 2.0), repeats=3
    )
    assert calls == ["a", "b"] * 3
    assert (result.baseline_s, result.contender_s, result.ratio) == (4.0, 2.0, 2.0)


def test_render_prints_both_medians_and_their_ratio():
    text = bench.render_comparisons([bench.Comparison("demo", "slow way", 3.0, "fast way", 1.5, 3)])
    assert re.search(r"demo\s+slow way 3 s\s+fast way 1.5 s\s+2.0x", text)


def test_unknown_benchmark_is_named():
    with pytest.raises(ValueError, match="unknown benchmark 'gpu'; choose from numpy"):
        bench.run_benchmarks(["gpu"])


def _open_mpi() -> bool:
    from mpi4py import MPI

    return "Open MPI" in MPI.Get_library_version()


@pytest.mark.slow
def test_quick_bench_runs_every_comparison_for_real():
    # MPI-capable workers need MPICH (hpclab.mpiworker.require_connectable_mpi): under Open MPI
    # (make test-openmpi) the two rows that use them are left out, the rest is the same.
    mpi_workers = ("mpicluster", "commbuild", "roundtrip")
    names = [n for n in bench.BENCHMARKS if not (_open_mpi() and n in mpi_workers)]
    proc = subprocess.run(
        [sys.executable, "-m", "hpclab.cli", "bench", "--quick", *names], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [line for line in proc.stdout.splitlines() if re.search(r"\d+(\.\d+)?x$", line)]
    # commbuild gives one row per worker count, roundtrip two (against the computation, against files)
    extra = {"commbuild": len(bench.QUICK["commbuild"]["workers"]) - 1, "roundtrip": 1}
    assert len(rows) == len(names) + sum(extra.get(n, 0) for n in names), proc.stdout
    wanted = ["sum of squares", "prime test", "ping-pong", "hand a", "task round trip", "16 MiB from one worker"]
    if "commbuild" in names:
        wanted += ["sum a", "communicator over 3 MPI workers", "double a", "Dask -> MPI -> Dask round trip"]
    for name in wanted:
        assert any(row.startswith(name) for row in rows), name


def test_pingpong_lines_of_mpi4py_bench_are_read_by_size():
    text = (
        "# MPI PingPong Test\n# Size [B]  Bandwidth [MB/s] | Time Mean [s] ± StdDev [s]  Samples\n"
        "   1048576          28915.63 | 3.6263300e-05 ± 1.4833e-06        5\n"
        "   2097152           1764.40 | 1.1885937e-03 ± 1.3918e-03        5\n"
    )
    assert bench.parse_pingpong(text) == {1048576: 3.62633e-05, 2097152: 1.1885937e-03}
    assert bench.parse_pingpong("no table here") == {}
