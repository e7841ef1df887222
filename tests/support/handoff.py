"""What the handoff test programs print, checked the same way wherever they ran.

tests/handoff_programs/handoff_scenarios.py prints one ``label: value`` line
per check; dask-mpi under mpiexec (tests/test_handoff.py), Slurm jobs and
``cluster.start(mpi=True)`` workers (tests/test_mpi_cluster.py) must all pass
:func:`assert_handoff_output`.
"""

from __future__ import annotations

import re

import pytest


def output_lines(output: str) -> dict[str, str]:
    """``{label: value}`` for every ``label: value`` line of a handoff program's output."""
    return {line.split(":", 1)[0]: line.split(":", 1)[1].strip() for line in output.splitlines() if ":" in line}


def assert_handoff_output(out: str, workers: int) -> None:
    """Every scenario of handoff_scenarios.py agreed with NumPy on ``workers`` workers."""
    lines = output_lines(out)
    assert lines["workers"] == str(workers), out
    total, numpy_total = re.search(r"total=([\d.]+) numpy=([\d.]+) agree=True", lines["allreduce"]).groups()
    assert float(total) == pytest.approx(float(numpy_total))
    assert lines["comm order follows chunk order"] == "True", out
    assert lines["halo"] == "blocks=7 match=True", out
    assert lines["way back"] == "placed=True chunks=True match=True", out
    assert lines["uneven"] == f"holders=1 empty={workers - 1} called={workers} agree=True holder_is_rank0=True", out
    assert lines["uneven halo"] == "match=True", out
