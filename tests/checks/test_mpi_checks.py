"""Checks of MPI answers run the learner's program under real mpiexec and say what went wrong."""

from __future__ import annotations

import numpy as np
import pytest

from hpclab import mpi
from hpclab.checks import capstone, collectives, handoff, mpicheck, p2p

# Runs real MPI: `make test-openmpi` runs this module again on Open MPI.
pytestmark = pytest.mark.mpi

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
    "comm.Irecv(from_right, source=right", "comm.Irecv(from_left, source=right"
)
assert RING_WRONG_DIRECTION.count("from_right, source=left") == 1

RING_RANK_2_RAISES = RING.replace(
    "MPI.Request.Waitall(requests)",
    "if comm.rank == 2:\n    raise ValueError('rank two lost its token')\nMPI.Request.Waitall(requests)",
)

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
    program = (
        "import numpy as np\nfrom mpi4py import MPI\nr = MPI.COMM_WORLD.rank\n"
        "x = np.arange(5 * r - 1, 5 * r + 6, dtype=float)\nu = x ** 2\n"
    )
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
    program = (
        "from mpi4py import MPI\ncomm = MPI.COMM_WORLD\n"
        "if comm.rank == 0:\n    comm.send({'from': 0}, dest=3)\n"
        "if comm.rank == 3:\n    message = comm.recv(source=0)\n"
    )
    p2p.check_q1(program)
    out = feedback(capsys)
    assert "rank 0 has no variable `message`" in out


def test_a_required_call_that_is_missing_is_named(capsys):
    p2p.check_q5(RING.replace("MPI.Request.Waitall(requests)", "for r in requests:\n    r.Wait()"))
    out = feedback(capsys)
    assert out.startswith("❌ q5") and "`Waitall`" in out


def test_only_root_may_hold_a_reduce_result(capsys):
    program = (
        "from mpi4py import MPI\ncomm = MPI.COMM_WORLD\nvalue = (3 * comm.rank + 1) % 7\n"
        "total = comm.allreduce(value)\nlargest = comm.allreduce(value, op=MPI.MAX)\n"
    )
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
    result = mpicheck.run_answer(
        "from mpi4py import MPI\nsquare = MPI.COMM_WORLD.rank ** 2\n", "p", n=3, collect=["square"]
    )
    assert [result.values[r]["square"] for r in range(3)] == [0, 1, 4]


@pytest.mark.parametrize(
    "got, expected, equal",
    [
        (np.array([3]), 3, True),
        (3.0000000001, 3, True),
        (np.arange(4.0), np.arange(4), True),
        (np.arange(4.0), np.arange(5), False),
        ("3", 3, False),
        (None, None, True),
        (0, None, False),
        ({1: [100, 1]}, {1: (100, 1)}, True),
        ({1: (100, 2)}, {1: (100, 1)}, False),
    ],
)
def test_same_compares_by_value(got, expected, equal):
    assert mpicheck.same(got, expected) is equal


def test_show_summarises_big_uniform_arrays():
    assert mpicheck.show(np.full(50_000, 1.0)) == "an array of 50000 × 1.0"
    assert len(mpicheck.show(np.arange(10_000))) < 90


def test_expect_names_the_first_wrong_rank():
    result = mpi.MPIResult(n=2, returncode=0, elapsed=0.0, values={0: {"x": 1}, 1: {"x": 5}})
    with pytest.raises(mpicheck.Wrong, match=r"rank 1 received x = 5 but expected 2"):
        mpicheck.expect(result, {0: {"x": 1}, 1: {"x": 2}}, verb="received")


# --------------------------------------------------------------------------- checks that cannot be gamed

SWAP_BY_COMMENT = """
import numpy as np
from mpi4py import MPI

rank = MPI.COMM_WORLD.rank
received = np.full(50_000, float(rank ^ 1))  # send it to the partner (comm.Sendrecv)
note = "comm.send(received, dest=rank ^ 1)"
"""

SWAP_WITH_SENDRECV = """
import numpy as np
from mpi4py import MPI

comm = MPI.COMM_WORLD
partner = comm.rank ^ 1
received = np.empty(50_000)
comm.Sendrecv(np.full(50_000, float(comm.rank)), dest=partner, recvbuf=received, source=partner)
"""


def test_a_send_mentioned_only_in_a_comment_or_string_is_not_a_message(capsys):
    p2p.check_q3(SWAP_BY_COMMENT)
    out = feedback(capsys)
    assert out.startswith("❌ q3") and "should move the data with MPI messages" in out


def test_a_real_sendrecv_call_passes_the_swap(capsys):
    p2p.check_q3(SWAP_WITH_SENDRECV)
    assert feedback(capsys).startswith("✅ q3")


def test_local_ghost_cells_with_a_send_comment_are_not_a_halo_exchange(capsys):
    program = (
        "import numpy as np\nfrom mpi4py import MPI\nr = MPI.COMM_WORLD.rank\n"
        "x = np.arange(5 * r - 1, 5 * r + 6, dtype=float)\nu = x ** 2  # send\n"
    )
    p2p.check_q6(program)
    out = feedback(capsys)
    assert out.startswith("❌ q6") and "should move the data with MPI messages" in out


@pytest.mark.parametrize(
    "program, found",
    [
        ("comm.Send(buf, dest=1)\n", True),
        ("from mpi4py import MPI\nMPI.COMM_WORLD.Isend(buf, dest=1).Wait()\n", True),
        ("result = comm.sendrecv(x, dest=1)\n", True),
        ("# comm.Send(buf, dest=1)\nx = 1\n", False),
        ("x = 'comm.Send(buf, dest=1)'\n", False),
        ("send = 3\nSend = send + 1\n", False),  # a name, not a call
    ],
)
def test_require_any_call_counts_only_real_calls(program, found):
    if found:
        mpicheck.require_any_call(program, "p", "Send", "Isend", "sendrecv")
    else:
        with pytest.raises(mpicheck.Wrong, match="should move the data"):
            mpicheck.require_any_call(program, "p", "Send", "Isend", "sendrecv")


def test_require_calls_ignores_comments_and_strings():
    mpicheck.require_calls("total = comm.reduce(x, op=MPI.MAX)\n", "p", "MPI.MAX")
    with pytest.raises(mpicheck.Wrong, match="`MPI.MAX`"):
        mpicheck.require_calls("total = comm.reduce(x)  # op=MPI.MAX\nnote = 'MPI.MAX'\n", "p", "MPI.MAX")


def test_a_program_that_is_not_python_gets_its_line_named():
    with pytest.raises(mpicheck.Wrong, match="not valid Python.*line 2"):
        mpicheck.require_any_call("x = 1\nif x\n", "p", "Send")


# The capstone check calls the learner's function by its name: these are defined inside the tests.


def test_capstone_area_mean_that_reads_the_whole_map_fails(capsys):
    def area_mean(pieces, blocks, comm, lat):
        """Cheats: ignores its blocks and MPI and reads the whole map from the program's globals."""
        full = globals()["full"]
        weights = np.cos(np.radians(lat))
        return float((weights[:, None] * full).sum() / (weights.sum() * full.shape[1]))

    capstone.check_q3(area_mean)
    out = feedback(capsys)
    assert out.startswith("❌ q3") and "KeyError" in out


def test_capstone_smooth_that_reads_the_whole_map_fails(capsys):
    def smooth(pieces, blocks, comm, sweeps):
        """Cheats: smooths the whole map from the program's globals and cuts out its own rows."""
        a = np.array(globals()["full"], dtype=float)
        for _ in range(sweeps):
            new = a.copy()
            new[1:-1, 1:-1] = (a[:-2, 1:-1] + a[2:, 1:-1] + a[1:-1, :-2] + a[1:-1, 2:]) / 4
            a = new
        return [a[p.offset[0] : p.offset[0] + p.shape[0]] for p in pieces]

    capstone.check_q4(smooth)
    out = feedback(capsys)
    assert out.startswith("❌ q4") and "KeyError" in out


def test_capstone_area_mean_with_allreduce_passes(capsys):
    def area_mean(pieces, blocks, comm, lat):
        """The lesson's answer: weight this rank's rows, then add up across ranks."""
        totals = np.zeros(2)
        for piece, block in zip(pieces, blocks):
            weight = np.cos(np.radians(lat[piece.offset[0] : piece.offset[0] + piece.shape[0]]))
            totals += [(weight[:, None] * block).sum(), weight.sum() * block.shape[1]]
        totals = comm.allreduce(totals)  # sums the arrays of every rank
        return totals[0] / totals[1]

    capstone.check_q3(area_mean)
    assert feedback(capsys).startswith("✅ q3")


def test_capstone_ranks_cannot_see_the_whole_map_or_its_seed():
    program = (
        capstone._LAYOUT + "\nnames = sorted(n for n in globals() if not n.startswith('__'))\nargv = sys.argv[1:]\n"
    )
    result = mpicheck.run_answer(program, "p", n=3, collect=["names", "argv", "blocks"], args=["5"])
    for rank in range(3):
        assert result.values[rank]["argv"] == []
        assert not {"full", "whole", "bounds", "owner", "_hpclab_my_blocks"} & set(result.values[rank]["names"])
    assert [len(result.values[rank]["blocks"]) for rank in range(3)] == [2, 0, 2]


def test_capstone_halo_check_finds_collectives_on_every_sweep_only():
    source = """
def smooth(pieces, blocks, comm, sweeps):
    for rank, spans in enumerate(comm.allgather([1])):  # once: the loop's iterable
        pass
    first = [s for s in comm.allgather(2)]               # once: a comprehension's first iterable
    def exchange(row):
        return comm.allgather(row)
    def via(row):
        return exchange(row)
    for _ in range(sweeps):
        # comm.allgather(x) in a comment does not count, nor does "comm.bcast" in a string
        comm.Isend(blocks[0][0], dest=1)
        rows = [comm.bcast(r) for r in range(2)]
        via(3)
    while comm.allreduce(1) < 0:
        pass
"""
    assert capstone.collectives_in_loops(source) == [
        ("bcast", "bcast", 13),
        ("via", "allgather", 14),
        ("allreduce", "allreduce", 15),
    ]
    assert (
        capstone.collectives_in_loops(
            "def smooth(p, b, comm, s):\n    spans = comm.allgather(1)\n    for _ in range(s):\n"
            "        comm.Sendrecv(b[0][0], dest=0, recvbuf=b[0][1], source=0)\n"
        )
        == []
    )


def test_a_check_that_cannot_find_its_block_says_it_is_not_the_learners_fault(capsys):
    handoff.check_q1("tcp://127.0.0.1:1", None, [1.0, 2.0], (1, 2))
    out = feedback(capsys)
    assert out.startswith("❌ q1") and "the check could not run" in out and "your answer raised" not in out
