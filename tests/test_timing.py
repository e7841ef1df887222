import itertools

import pytest

from hpclab.timing import Timing, median_time, speedup


def test_median_time_excludes_warmup_calls_from_the_times():
    calls = itertools.count()
    timing = median_time(lambda: next(calls), repeat=3, warmup=2, label="count")
    assert len(timing.times) == 3
    assert timing.warmup == 2
    assert timing.result == 4  # 2 warm-up + 3 timed calls; the last one's value is kept
    assert "median of 3, 2 warm-up" in str(timing)


def test_median_is_robust_to_one_slow_run():
    timing = Timing("t", (1.0, 100.0, 2.0), warmup=0)
    assert timing.median == 2.0
    assert speedup(timing, Timing("u", (0.5, 0.5, 0.5), warmup=0)) == 4.0


@pytest.mark.parametrize("repeat, warmup", [(0, 1), (3, -1)])
def test_median_time_rejects_meaningless_counts(repeat, warmup):
    with pytest.raises(ValueError):
        median_time(lambda: None, repeat=repeat, warmup=warmup)
