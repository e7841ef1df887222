"""Hidden checks for lesson 01 (hpclab.checks.concepts): other inputs than the visible checks try."""

import numpy as np

from hpclab.checks import Wrong, plain, require
from hpclab.checks.concepts import Q3, Q4
from hpclab.checks.hidden import hidden_check


@hidden_check(Q3, kind="Amdahl's law at serial fractions and core counts the visible check does not try")
def hidden_q3(amdahl):
    require(amdahl, "amdahl")
    rng = np.random.default_rng(2027)
    for f, p in zip(rng.uniform(0, 1, 20), rng.integers(1, 4096, 20)):
        got = plain(amdahl(float(f), int(p)), float, "amdahl(f, p)")
        if not np.isclose(got, 1 / (f + (1 - f) / p), rtol=1e-6):
            raise Wrong("amdahl")


@hidden_check(Q4, kind="sum_of_squares on arrays of other sizes and signs")
def hidden_q4(sum_of_squares):
    require(sum_of_squares, "sum_of_squares")
    rng = np.random.default_rng(2027)
    for size in (1, 3, 17, 4096):
        x = rng.normal(size=size)
        got = plain(sum_of_squares(x), float, "sum_of_squares(x)")
        if not np.isclose(got, float(np.dot(x, x)), rtol=1e-9):
            raise Wrong("sum_of_squares")
