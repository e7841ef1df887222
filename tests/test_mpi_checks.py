"""Checks of MPI answers run the learner's program under real mpiexec and say what went wrong."""

from __future__ import annotations

import numpy as np
import pytest

from hpclab import mpi
from hpclab.checks import collectives, mpicheck, p2p

RING = """
import numpy as np
from mpi4py import MPI

comm = MPI.COMM_WORLD
left, right = (comm.rank - 1) % comm.size, (comm.rank + 1) % comm.size
mine = np.array([comm.rank], dtype="i")
from_left, from_right = np.empty(1, dtype="i"), np.empty(1, dtype="i")
requests = [comm.Irecv(from_left, source=left, tag=1), comm.Irecv(from_right, source=right, tag=2),
            comm.Isend(mine, dest=right, tag=1), comm.Isend(mine, dest=left, tag=2)]
MPI.Request.Waitall(requests)
"""

# Receives into the wrong buffers: every rank finishes, but left and right are swapped.
RING_WRONG_DIRECTION = RING.replace("comm.Irecv(from_left, source=left", "comm.Irecv(from_right, source=left").replace(
    "comm.Irecv(from_right, source=right", "comm.Irecv(from_left, source=right")
assert RING_WRONG_DIRECTION.count("from_right, source=left") == 1

RING_RANK_2_RAISES = RING.replace("MPI.Request.Waitall(requests)",
                                  "if comm.rank == 2:\n    raise ValueError('rank two lost its token')\n"
                                  "MPI.Request.Waitall(requests)")

SWAP_DEADLOCK = """
import numpy as np
from mpi4py import MPI

comm = MPI.COMM_WORLD
partner = comm.rank ^ 1
received = np.empty(50_000)
comm.Send(np.full(50_000, float(comm.rank)), dest=partner)
comm.Recv(received, source=partner)
"""


def feedback(capsys) -> str:
    return capsys.readouterr().out.strip()


def test_a_correct_ring_passes(capsys):
    p2p.check_q5(RING)
    assert feedback(capsys).startswith("✅ q5")


def test_a_wrong_value_names_the_rank_and_both_values(capsys):
    p2p.check_q5(RING_WRONG_DIRECTION)
    out = feedback(capsys)
    assert out.startswith("❌ q5")
    # rank 0's left neighbour is 3, but this program delivers rank 1's token there.
    assert "rank 0 received from_left = [1] but expected 3" in out


def test_a_rank_that_raises_is_reported_with_its_error_line(capsys):
    p2p.check_q5(RING_RANK_2_RAISES)
    out = feedback(capsys)
    assert out.startswith("❌ q5")
    assert "rank 2 raised ValueError: rank two lost its token" in out
    assert "raise ValueError('rank two lost its token')" in out  # the offending line of the program
    assert "_hpclab_bootstrap" not in out


def test_a_deadlock_is_reported_after_the_timeout_and_leaves_nothing_running(capsys):
    p2p.check_q3(SWAP_DEADLOCK, timeout=3)
    out = feedback(capsys)
    assert out.startswith("❌ q3")
    assert "did not finish within 3 s on 4 ranks" in out and "deadlock?" in out
    # tests/conftest.py fails the run if any rank outlived this test.


def test_hard_coding_the_other_ranks_values_is_not_a_halo_exchange(capsys):
    program = ("import numpy as np\nfrom mpi4py import MPI\nr = MPI.COMM_WORLD.rank\n"
               "x = np.arange(5 * r - 1, 5 * r + 6, dtype=float)\nu = x ** 2\n")
    p2p.check_q6(program)
    out = feedback(capsys)
    assert out.startswith("❌ q6") and "should move the data with MPI messages" in out


def test_a_blank_answer_is_not_attempted(capsys):
    p2p.check_q1(None)
    assert feedback(capsys).startswith("⏳ q1")


def test_an_answer_that_is_not_a_program_gets_a_hint(capsys):
    p2p.check_q1(["from mpi4py import MPI"])
    out = feedback(capsys)
    assert out.startswith("❌ q1") and "should be a string holding your whole program" in out


def test_a_missing_variable_is_named_with_its_rank(capsys):
    program = ("from mpi4py import MPI\ncomm = MPI.COMM_WORLD\n"
               "if comm.rank == 0:\n    comm.send({'from': 0}, dest=3)\n"
               "if comm.rank == 3:\n    message = comm.recv(source=0)\n")
    p2p.check_q1(program)
    out = feedback(capsys)
    assert "rank 0 has no variable `message`" in out


def test_a_required_call_that_is_missing_is_named(capsys):
    p2p.check_q5(RING.replace("MPI.Request.Waitall(requests)", "for r in requests:\n    r.Wait()"))
    out = feedback(capsys)
    assert out.startswith("❌ q5") and "`Waitall`" in out


def test_only_root_may_hold_a_reduce_result(capsys):
    program = ("from mpi4py import MPI\ncomm = MPI.COMM_WORLD\nvalue = (3 * comm.rank + 1) % 7\n"
               "total = comm.allreduce(value)\nlargest = comm.allreduce(value, op=MPI.MAX)\n")
    collectives.check_q4(program)
    assert "rank 1 holds largest = 4 but expected None" in feedback(capsys)


def test_pi_with_the_same_seed_on_every_rank_is_caught(capsys):
    program = """
import sys
import numpy as np
from mpi4py import MPI
comm = MPI.COMM_WORLD
total = int(sys.argv[1])
base, extra = divmod(total, comm.size)
my_samples = base + (comm.rank < extra)
rng = np.random.default_rng(7)                      # the bug: one stream for everybody
start = MPI.Wtime()
x, y = rng.random(my_samples), rng.random(my_samples)
hits = int(np.count_nonzero(x * x + y * y <= 1))
total_hits = comm.reduce(hits, root=0)
elapsed = MPI.Wtime() - start
pi_estimate = 4 * total_hits / total if comm.rank == 0 else None
"""
    collectives.check_q6(program)
    out = feedback(capsys)
    assert out.startswith("❌ q6") and "drew the same random numbers" in out


def test_run_answer_returns_every_ranks_values():
    result = mpicheck.run_answer("from mpi4py import MPI\nsquare = MPI.COMM_WORLD.rank ** 2\n", "p",
                                 n=3, collect=["square"])
    assert [result.values[r]["square"] for r in range(3)] == [0, 1, 4]


@pytest.mark.parametrize("got, expected, equal", [
    (np.array([3]), 3, True),
    (3.0000000001, 3, True),
    (np.arange(4.0), np.arange(4), True),
    (np.arange(4.0), np.arange(5), False),
    ("3", 3, False),
    (None, None, True),
    (0, None, False),
    ({1: [100, 1]}, {1: (100, 1)}, True),
    ({1: (100, 2)}, {1: (100, 1)}, False),
])
def test_same_compares_by_value(got, expected, equal):
    assert mpicheck.same(got, expected) is equal


def test_show_summarises_big_uniform_arrays():
    assert mpicheck.show(np.full(50_000, 1.0)) == "an array of 50000 × 1.0"
    assert len(mpicheck.show(np.arange(10_000))) < 90


def test_expect_names_the_first_wrong_rank():
    result = mpi.MPIResult(n=2, returncode=0, elapsed=0.0, values={0: {"x": 1}, 1: {"x": 5}})
    with pytest.raises(mpicheck.Wrong, match=r"rank 1 received x = 5 but expected 2"):
        mpicheck.expect(result, {0: {"x": 1}, 1: {"x": 2}}, verb="received")
