"""hpclab.scaling on synthetic timings: the formulas, the fits, the reports and bad input."""

from __future__ import annotations

import itertools

import matplotlib
import numpy as np
import pytest

from hpclab import scaling

matplotlib.use("Agg")

COUNTS = [1, 2, 4, 8, 16]


def amdahl_times(f: float, t1: float = 10.0, counts=COUNTS) -> dict[int, float]:
    """Run times of a job with serial fraction f on each count, exactly as Amdahl's law says."""
    return {p: t1 * (f + (1 - f) / p) for p in counts}


def test_speedup_and_efficiency_of_strong_scaling():
    times = {1: 12.0, 2: 6.0, 4: 4.0}
    assert scaling.speedups(times) == {1: 1.0, 2: 2.0, 4: 3.0}
    assert scaling.efficiency(times) == {1: 1.0, 2: 1.0, 4: 0.75}


def test_weak_scaling_efficiency_is_the_time_ratio():
    times = {1: 2.0, 2: 2.0, 4: 2.5}
    assert scaling.efficiency(times, weak=True) == {1: 1.0, 2: 1.0, 4: 0.8}
    assert scaling.speedups(times, weak=True) == {1: 1.0, 2: 2.0, 4: 3.2}


def test_amdahl_and_gustafson_formulas():
    assert scaling.amdahl(0.0, 8) == 8.0
    assert scaling.amdahl(1.0, 8) == 1.0
    assert scaling.amdahl(0.1, 4) == pytest.approx(1 / (0.1 + 0.9 / 4))
    assert np.allclose(scaling.amdahl(0.5, np.array([1, 2])), [1.0, 4 / 3])
    assert scaling.gustafson(0.1, 4) == pytest.approx(4 - 0.1 * 3)
    assert scaling.gustafson(0.0, 16) == 16.0


@pytest.mark.parametrize("f", [0.0, 0.02, 0.1, 0.35, 1.0])
def test_fit_amdahl_recovers_a_known_serial_fraction(f):
    s = scaling.speedups(amdahl_times(f))
    assert scaling.fit_amdahl(list(s), list(s.values())) == pytest.approx(f, abs=1e-12)


def test_fit_amdahl_is_close_on_noisy_timings():
    rng = np.random.default_rng(0)
    times = {p: t * (1 + rng.normal(0, 0.01)) for p, t in amdahl_times(0.05).items()}
    s = scaling.speedups(times)
    assert scaling.fit_amdahl(list(s), list(s.values())) == pytest.approx(0.05, abs=0.01)


def test_fit_gustafson_recovers_a_known_serial_fraction():
    counts = [1, 2, 4, 8]
    speedups = [scaling.gustafson(0.2, p) for p in counts]
    assert scaling.fit_gustafson(counts, speedups) == pytest.approx(0.2)


def test_fits_stay_between_zero_and_one():
    assert scaling.fit_amdahl([1, 2, 4], [1.0, 2.5, 6.0]) == 0.0  # superlinear
    assert scaling.fit_amdahl([1, 2, 4], [1.0, 0.5, 0.25]) == 1.0  # slower with more workers


@pytest.mark.parametrize(
    "times, message",
    [
        ({}, "empty"),
        ({1: 1.0, 2: 0.0}, "positive number of seconds"),
        ({1: 1.0, 2: -3.0}, "positive number of seconds"),
        ({1: 1.0, 2: float("nan")}, "positive number of seconds"),
        ({2: 1.0, 4: 0.6}, "no 1-worker baseline"),
        ({1: 1.0, 0: 2.0}, "at least 1 worker"),
        ({1: 1.0, 2.5: 2.0}, "whole numbers"),
        ({1: 1.0, 2: "fast"}, "not a number of seconds"),
        ([1.0, 0.5], "mapping"),
    ],
)
def test_bad_times_get_a_clear_message(times, message):
    for use in (scaling.speedups, scaling.efficiency, scaling.table):
        with pytest.raises(ValueError, match=message):
            use(times)


def test_bad_fit_input_gets_a_clear_message():
    with pytest.raises(ValueError, match="empty"):
        scaling.fit_amdahl([], [])
    with pytest.raises(ValueError, match="one speedup per count"):
        scaling.fit_amdahl([1, 2], [1.0])
    with pytest.raises(ValueError, match="at least one parallel run"):
        scaling.fit_amdahl([1], [1.0])
    with pytest.raises(ValueError, match="positive"):
        scaling.fit_gustafson([1, 2], [1.0, 0.0])
    with pytest.raises(ValueError, match="between 0 and 1"):
        scaling.amdahl(1.5, 4)
    with pytest.raises(ValueError, match="at least 1"):
        scaling.amdahl(0.1, 0)


def test_measure_goes_round_the_counts_and_keeps_the_median():
    calls = []
    ticks = itertools.count()
    durations = iter([5, 2, 1, 2, 3, 9])  # in call order: the repeats go round the counts

    def clock():
        return next(ticks)  # each call to clock() advances; the work below adds more

    def work(p):
        calls.append(p)
        for _ in range(next(durations) - 1):
            next(ticks)

    times = scaling.measure(work, [1, 2], repeats=3, clock=clock)
    assert calls == [1, 2, 1, 2, 1, 2]
    assert times == {1: 3, 2: 2}


def test_measure_rejects_bad_arguments():
    with pytest.raises(ValueError, match="empty"):
        scaling.measure(lambda p: None, [])
    with pytest.raises(ValueError, match="repeats"):
        scaling.measure(lambda p: None, [1], repeats=0)
    with pytest.raises(ValueError, match="cannot measure a int"):
        scaling.measure(42, [1])


def test_measure_an_mpi_program_uses_the_slowest_ranks_own_timing():
    program = "from mpi4py import MPI\nelapsed = 0.25 * (MPI.COMM_WORLD.rank + 1) * MPI.COMM_WORLD.size\n"
    assert scaling.measure(program, [1, 2], repeats=1, time_variable="elapsed") == {1: 0.25, 2: 1.0}


def test_measure_an_mpi_program_passes_arguments_per_count():
    program = "import sys\nelapsed = float(sys.argv[1])\n"
    times = scaling.measure(program, [1, 2], repeats=1, time_variable="elapsed", args=lambda p: [str(10 * p)])
    assert times == {1: 10.0, 2: 20.0}


def test_measure_says_when_the_program_does_not_set_its_timing():
    with pytest.raises(ValueError, match=r"rank 0 set `elapsed` to '<hpclab: not defined>'"):
        scaling.measure("x = 1\n", [1], repeats=1, time_variable="elapsed")


def test_table_lists_every_count_with_speedup_efficiency_and_the_fit():
    text = scaling.table(amdahl_times(0.1), label="ranks")
    lines = text.splitlines()
    assert lines[0].split() == ["ranks", "time", "[s]", "speedup", "efficiency", "Amdahl", "S"]
    assert len(lines) == 1 + len(COUNTS) + 1
    assert lines[2].split()[:4] == ["2", "5.500", "1.82", "0.91"]
    assert "serial fraction f = 0.100" in lines[-1]


def test_table_marks_oversubscribed_runs_and_leaves_them_out_of_the_fit():
    times = {1: 10.0, 2: 5.5, 4: 5.5}  # 4 ranks on 2 cores: no faster than 2
    text = scaling.table(times, cores=2, label="ranks")
    assert "(more than the cores)" in text.splitlines()[3]
    assert "f = 0.100" in text and "fitted to the runs on 1, 2 ranks" in text


def test_table_of_weak_scaling_uses_gustafson():
    text = scaling.table({1: 1.0, 2: 1.0, 4: 1.0}, weak=True)
    assert "Gustafson" in text and "f = 0.000" in text


def test_plot_returns_a_figure_with_speedup_and_efficiency():
    fig = scaling.plot(amdahl_times(0.1), cores=4, label="ranks", title="synthetic")
    ax_s, ax_e = fig.axes
    assert ax_s.get_ylabel() == "speedup" and ax_e.get_ylabel() == "efficiency"
    labels = [line.get_label() for line in ax_s.get_lines()]
    assert {"ideal", "measured", "Amdahl, f = 0.100", "best possible on 4 cores"} <= set(labels)
    measured = next(line for line in ax_s.get_lines() if line.get_label() == "measured")
    assert np.allclose(measured.get_ydata(), list(scaling.speedups(amdahl_times(0.1)).values()))
    matplotlib.pyplot.close(fig)


def test_the_old_name_speedup_says_where_it_went():
    with pytest.raises(AttributeError, match="renamed speedups"):
        scaling.speedup  # noqa: B018
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        scaling.nonsense  # noqa: B018
