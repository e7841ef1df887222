"""Hidden checks for lesson 02 (hpclab.checks.futures): numbers the visible check does not try."""

import numpy as np

from hpclab.checks import Wrong, plain, require
from hpclab.checks.futures import Q1
from hpclab.checks.hidden import hidden_check


def _primes_below(limit: int) -> set[int]:
    sieve = np.ones(limit, dtype=bool)
    sieve[:2] = False
    for n in range(2, int(limit**0.5) + 1):
        if sieve[n]:
            sieve[n * n :: n] = False
    return set(np.flatnonzero(sieve).tolist())


@hidden_check(Q1, kind="is_prime on numbers the visible check does not try (larger primes, products of two primes)")
def hidden_q1(is_prime):
    require(is_prime, "is_prime")
    limit = 200_000
    primes = _primes_below(limit)
    rng = np.random.default_rng(2027)
    tries = [5, 6, 11, 121, 169, 561, 1105, 7907, 65_537, 104_723, 104_729, 199_999, *rng.integers(0, limit, 60)]
    for n in tries:
        if plain(is_prime(int(n)), bool, "is_prime(n)") != (int(n) in primes):
            raise Wrong("is_prime")
