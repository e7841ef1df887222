"""Small reference implementations the checks compare learners' answers with."""

from __future__ import annotations

import math


def is_prime(n: int) -> bool:
    """Trial division up to sqrt(n): the plain, obviously correct version."""
    if n < 2:
        return False
    return all(n % factor for factor in range(2, math.isqrt(n) + 1))


def close(a: float, b: float, rel: float = 1e-6) -> bool:
    """True when two numbers agree to a relative tolerance."""
    return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=1e-12)
