"""Hidden checks for lesson 08 (hpclab.checks.p2p): a ring of another size than the visible check's."""

from hpclab.checks.hidden import hidden_check
from hpclab.checks.mpicheck import DEFAULT_TIMEOUT, expect, run_answer
from hpclab.checks.p2p import Q5

RANKS = 3  # the visible check runs four


@hidden_check(Q5, kind="the ring on another number of ranks")
def hidden_q5(ring_program, timeout=DEFAULT_TIMEOUT):
    result = run_answer(ring_program, "ring_program", n=RANKS, collect=["from_left", "from_right"], timeout=timeout)
    expected = {r: {"from_left": (r - 1) % RANKS, "from_right": (r + 1) % RANKS} for r in range(RANKS)}
    expect(result, expected, verb="received")
