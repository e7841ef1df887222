"""Hidden checks for lesson 09 (hpclab.checks.collectives): a reduction on another number of ranks."""

from hpclab.checks.collectives import Q4
from hpclab.checks.hidden import hidden_check
from hpclab.checks.mpicheck import DEFAULT_TIMEOUT, expect, run_answer

RANKS = 5  # the visible check runs four


@hidden_check(Q4, kind="the reductions on another number of ranks")
def hidden_q4(reduce_program, timeout=DEFAULT_TIMEOUT):
    result = run_answer(
        reduce_program, "reduce_program", n=RANKS, collect=["value", "total", "largest"], timeout=timeout
    )
    values = [(3 * r + 1) % 7 for r in range(RANKS)]
    expected = {
        r: {"value": values[r], "total": sum(values), "largest": max(values) if r == 0 else None} for r in range(RANKS)
    }
    expect(result, expected, verb="holds")
