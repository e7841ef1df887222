"""Q8 of lesson 09 reads from the syntax tree whether Allreduce gets MPI.IN_PLACE as its send buffer."""

from __future__ import annotations

import pytest

from hpclab.checks.collectives import _in_place_allreduce

# Runs real MPI: `make test-openmpi` runs this module again on Open MPI.
pytestmark = pytest.mark.mpi


@pytest.mark.parametrize(
    "program, expected",
    [
        ("half.Allreduce(MPI.IN_PLACE, values, op=MPI.SUM)", (True, True)),
        ("half.Allreduce(sendbuf=MPI.IN_PLACE, recvbuf=[values, MPI.DOUBLE])", (True, True)),
        ("from mpi4py.MPI import IN_PLACE\nhalf.Allreduce(IN_PLACE, values)", (True, True)),
        ("half.Allreduce(values, total)  # MPI.IN_PLACE", (True, False)),
        ("half.Allreduce(values, MPI.IN_PLACE)", (True, False)),
        ("x = MPI.IN_PLACE\nhalf.allreduce(values)", (False, False)),
        ("print('Allreduce(MPI.IN_PLACE, values)')", (False, False)),
    ],
)
def test_only_a_real_in_place_send_buffer_counts(program, expected):
    assert _in_place_allreduce(program) == expected
