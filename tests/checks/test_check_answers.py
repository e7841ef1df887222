"""Every question of every lesson, proven against a wrong answer and an alternative right one.

A check should test what its question teaches, so for each question this table
holds at least one plausible wrong answer, which must fail with the hint a
learner would see (a piece of the ❌ line), and at least one correct answer that
differs from the solution notebook's, which must pass. The answers are real: Dask
answers run on one small local cluster shared by the whole module, MPI answers
under real mpiexec. Inputs are kept tiny so the table runs in a couple of minutes.

Functions the checks read with ``inspect.getsource`` (or send to workers and MPI
ranks) are defined at the top level of this module; ``cloudpickle`` sends them by
value, so worker processes need not import this file.
"""

from __future__ import annotations

import functools
import json
import math
import os
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cloudpickle
import numpy as np
import pytest

from hpclab.checks import questions_of

cloudpickle.register_pickle_by_value(sys.modules[__name__])

LESSONS = {
    "00-setup": "hpclab.checks.setup",
    "01-parallel-concepts": "hpclab.checks.concepts",
    "02-dask-futures": "hpclab.checks.futures",
    "03-dask-arrays": "hpclab.checks.arrays",
    "04-dask-dataframes": "hpclab.checks.dataframes",
    "04b-dask-diagnostics-memory": "hpclab.checks.diagnostics",
    "05-dask-bags": "hpclab.checks.bags",
    "06-xarray-dask": "hpclab.checks.xarray_dask",
    "07-dask-ml": "hpclab.checks.ml",
    "08-mpi-point-to-point": "hpclab.checks.p2p",
    "09-mpi-collectives": "hpclab.checks.collectives",
    "10-dask-on-slurm": "hpclab.checks.slurm",
    "11-dask-to-mpi": "hpclab.checks.handoff",
    "12-capstone": "hpclab.checks.capstone",
}


class AlwaysEqual:
    """An answer that claims to equal anything: it must never pass a value check."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = object.__hash__

    def __repr__(self):
        return "AlwaysEqual()"


@dataclass(frozen=True)
class Case:
    lesson: str
    qid: str
    label: str
    answer: Callable[[Any], tuple]  # ctx -> the check's arguments
    hint: str | None = None  # None: a right answer that must pass; else part of the ❌ message
    fast: bool = False  # True: needs no cluster and no MPI

    @property
    def right(self) -> bool:
        return self.hint is None


CASES: list[Case] = []


def right(lesson, qid, label, answer, fast=False):
    CASES.append(Case(lesson, qid, label, answer, None, fast))


def wrong(lesson, qid, label, answer, hint, fast=False):
    CASES.append(Case(lesson, qid, label, answer, hint, fast))


# =========================================================================== the inputs


class Context:
    """The inputs of the checks, made on first use and shared by every case of the module."""

    def __init__(self, tmp_factory):
        self._tmp = tmp_factory
        self._client = None
        self._stack = []

    @property
    def client(self):
        if self._client is None:
            import hpclab.cluster

            manager = hpclab.cluster.client(n_workers=2, threads_per_worker=1, quiet=True)
            self._client = manager.__enter__()
            self._stack.append(manager)
        return self._client

    def close(self):
        while self._stack:
            self._stack.pop().__exit__(None, None, None)

    def tmp(self, name):
        return self._tmp.mktemp(name)

    # 02 ------------------------------------------------------------------
    numbers = list(range(10_000, 10_120))  # 13 primes

    # 03 ------------------------------------------------------------------
    @functools.cached_property
    def data3(self):
        import dask.array as da

        self.client  # noqa: B018 - the arrays below persist on it
        return da.random.default_rng(3).random((500, 200), chunks=(250, 100))

    # 04 ------------------------------------------------------------------
    @functools.cached_property
    def df4(self):
        import dask

        return dask.datasets.timeseries(start="2000-01-01", end="2000-01-03", freq="60s", partition_freq="1D", seed=7)

    @functools.cached_property
    def csv_folder(self):
        import hpclab.data

        return hpclab.data.path("readings")

    @functools.cached_property
    def readings(self):
        import dask.dataframe as dd

        return dd.read_csv(
            str(self.csv_folder / "*.csv"), dtype={"station": "string", "flag": "Int64"}, parse_dates=["time"]
        )

    @functools.cached_property
    def parquet_dir(self):
        folder = self.tmp("parquet")
        self.readings.to_parquet(folder, write_index=False)
        return folder

    @functools.cached_property
    def station_dir(self):
        folder = self.tmp("by-station")
        self.readings.to_parquet(folder, partition_on=["station"], write_index=False)
        return folder

    @functools.cached_property
    def rare4(self):
        return self.df4[self.df4.x > 0.9]

    # 05 ------------------------------------------------------------------
    @functools.cached_property
    def people_folder(self):
        import hpclab.data

        return hpclab.data.path("people")

    @functools.cached_property
    def people(self):
        import dask.bag as db

        self.client  # noqa: B018
        return db.read_text(str(self.people_folder / "*.jsonl")).map(json.loads)

    # 06 ------------------------------------------------------------------
    @functools.cached_property
    def ds(self):
        import hpclab.data

        return hpclab.data.air_temperature()

    @functools.cached_property
    def ds6(self):
        """A year of every 16th time step on a 10 x 12 corner of the grid: xarray's groupby
        arithmetic makes tasks per time step, and the checks compare with whatever ds they get."""
        return self.ds.isel(time=slice(None, None, 16), lat=slice(0, 10), lon=slice(0, 12))

    @functools.cached_property
    def air(self):
        self.client  # noqa: B018
        return self.ds6["air"].chunk({"time": -1, "lat": 5, "lon": 6})

    # 07 ------------------------------------------------------------------
    @functools.cached_property
    def digits(self):
        from sklearn import datasets
        from sklearn.model_selection import train_test_split

        self.client  # noqa: B018
        digits = datasets.load_digits()
        X = digits.images.reshape(len(digits.images), -1)
        return train_test_split(X, digits.target, test_size=0.5, random_state=0)

    @functools.cached_property
    def X_big(self):
        import dask.array as da

        X_test = self.digits[1]
        return da.concatenate([da.from_array(X_test, chunks=X_test.shape) for _ in range(20)])

    # 11 ------------------------------------------------------------------
    @functools.cached_property
    def x11(self):
        import dask.array as da
        import distributed

        x = self.client.persist(da.random.default_rng(0).random((12, 12), chunks=(4, 3)))
        distributed.wait(x)
        return x

    # 12 ------------------------------------------------------------------
    @functools.cached_property
    def raw(self):
        import xarray as xr

        import hpclab.data

        air = hpclab.data.air_temperature(chunks={"time": -1, "lat": 5}).air
        broken = xr.DataArray(np.random.default_rng(12).random(air.shape) < 0.01, dims=air.dims)
        return air.where(~broken, -9999.0)

    # 04b -----------------------------------------------------------------
    @functools.cached_property
    def client4b(self):
        """Workers of 600 MiB, as in the exercise: Q4 fills one worker's memory until its nanny restarts it."""
        import hpclab.cluster

        manager = hpclab.cluster.client(n_workers=2, threads_per_worker=1, memory_limit="600MiB", quiet=True)
        client = manager.__enter__()
        self._stack.append(manager)
        return client

    @functools.cached_property
    def bad4b(self):
        import dask.array as da

        return da.arange(2_000_000, chunks=40_000)

    def report4b(self, name, mode="inline", compute=True):
        """A performance report of bad.sum() (or of building it only), made once per name."""
        from distributed import performance_report

        path = self.tmp("reports") / f"{name}.html"
        with self.client4b.as_current(), performance_report(filename=str(path), mode=mode):
            total = self.bad4b.sum()
            if compute:
                total.compute()
        return path


# =========================================================================== 00 setup

L = "00-setup"
right(L, "q1", "len(os.sched_getaffinity(0))", lambda c: (len(os.sched_getaffinity(0)),), fast=True)
wrong(
    L,
    "q1",
    "the text that !nproc printed",
    lambda c: (str(len(os.sched_getaffinity(0))),),
    "should be a whole number",
    fast=True,
)
wrong(L, "q1", "an object equal to everything", lambda c: (AlwaysEqual(),), "should be a whole number", fast=True)


def _vendor():
    from mpi4py import MPI

    return MPI.get_vendor()[0]


right(L, "q2", "the vendor in capitals", lambda c: (_vendor().upper(),))  # MPI in this process: slow
wrong(L, "q2", "the MPI standard version instead", lambda c: ("MPI 4.0",), "mpi4py reports a different library")
right(
    L,
    "q3",
    "threads from scheduler_info",
    lambda c: (c.client, sum(w["nthreads"] for w in c.client.scheduler_info(n_workers=-1)["workers"].values())),
)
wrong(L, "q3", "the nthreads dict itself", lambda c: (c.client, c.client.nthreads()), "should be a whole number")
wrong(
    L,
    "q3",
    "one thread too many",
    lambda c: (c.client, sum(c.client.nthreads().values()) + 1),
    "client.nthreads() maps each worker",
)
right(L, "q4", "a NumPy array in arrival order", lambda c: (np.array([2, 0, 3, 1]),), fast=True)
wrong(L, "q4", "one rank missing", lambda c: ([0, 1, 2],), "expected one answer from each of ranks 0-3", fast=True)

# =========================================================================== 01 concepts

L = "01-parallel-concepts"


def speedup_numpy(t_serial, t_parallel):
    return np.float64(t_serial) / np.float64(t_parallel)


def speedup_upside_down(t_serial, t_parallel):
    return t_parallel / t_serial


def efficiency_inline(t_serial, t_parallel, p):
    return t_serial / (t_parallel * p)


def efficiency_forgets_p(t_serial, t_parallel, p):
    return t_serial / t_parallel


def amdahl_rearranged(f, p):
    return p / (f * p + 1 - f)


def amdahl_times_p(f, p):
    return 1 / (f + (1 - f) * p)


def sos_method(x):
    return (x**2).sum()


def sos_matmul(x):
    return float(x @ x)


def sos_loop(x):
    total = 0.0
    for value in x:
        total += value * value
    return total


def sos_builtin_sum(x):
    return sum(x * x)


def sos_always_equal(x):
    return AlwaysEqual()


def serial_fraction_inverse(s, p):
    return (1 / s - 1 / p) / (1 - 1 / p)


def serial_fraction_naive(s, p):
    return 1 / s


right(L, "q1", "NumPy floats", lambda c: (speedup_numpy,), fast=True)
wrong(
    L,
    "q1",
    "parallel over serial",
    lambda c: (speedup_upside_down,),
    "speedup = serial time / parallel time",
    fast=True,
)
right(L, "q2", "one expression", lambda c: (efficiency_inline,), fast=True)
wrong(
    L,
    "q2",
    "the speedup again",
    lambda c: (efficiency_forgets_p,),
    "efficiency = speedup / number of workers",
    fast=True,
)
right(L, "q3", "rearranged", lambda c: (amdahl_rearranged,), fast=True)
wrong(L, "q3", "multiplies by p", lambda c: (amdahl_times_p,), "S(p) = 1 / (f + (1 - f) / p)", fast=True)
right(L, "q4", "(x ** 2).sum()", lambda c: (sos_method,), fast=True)
right(L, "q4", "x @ x", lambda c: (sos_matmul,), fast=True)
wrong(L, "q4", "the given loop", lambda c: (sos_loop,), "still loops in Python", fast=True)
wrong(L, "q4", "the built-in sum", lambda c: (sos_builtin_sum,), "the Python built-in `sum`", fast=True)
wrong(L, "q4", "an object equal to everything", lambda c: (sos_always_equal,), "should be a number", fast=True)
right(L, "q5", "in terms of 1/s", lambda c: (serial_fraction_inverse,), fast=True)
wrong(
    L,
    "q5",
    "one over the speedup",
    lambda c: (serial_fraction_naive,),
    "solve S = 1 / (f + (1 - f) / p) for f",
    fast=True,
)

# =========================================================================== 02 futures

L = "02-dask-futures"


def is_prime(n):
    """The learner's is_prime of lesson 02, used by the answers below."""
    if n < 2:
        return False
    return all(n % k for k in range(2, math.isqrt(n) + 1))


def is_prime_numpy(n):
    if n < 2:
        return np.bool_(False)
    return np.bool_(np.all(n % np.arange(2, math.isqrt(n) + 1)))


def is_prime_odd(n):
    return n % 2 == 1


def first_primes_with_results(client, numbers, how_many=5):
    futures = client.map(is_prime, numbers, pure=False)
    number_of = dict(zip(futures, numbers))
    found = []
    for future, prime in as_completed(futures, with_results=True):
        if prime:
            found.append(number_of[future])
            if len(found) >= how_many:
                break
    for future in futures:
        future.cancel()
    return found


def first_primes_in_order(client, numbers, how_many=5):
    return [n for n in numbers if is_prime(n)][:how_many]


def first_primes_no_cancel(client, numbers, how_many=5):
    futures = client.map(is_prime, numbers, pure=False)
    number_of = dict(zip(futures, numbers))
    found = []
    for future in as_completed(futures):
        if future.result():
            found.append(number_of[future])
        if len(found) == how_many:
            break
    return found


def as_completed(*args, **kwargs):
    from distributed import as_completed as _as_completed

    return _as_completed(*args, **kwargs)


def _eager_count(c):
    import dask

    return dask.delayed(sum)([is_prime(n) for n in c.numbers]), c.numbers


def _sum_of_delayed(c):
    import dask

    return sum(dask.delayed(is_prime)(n) for n in c.numbers), c.numbers


def _computed_count(c):
    import dask

    return dask.delayed(sum)([dask.delayed(is_prime)(n) for n in c.numbers]).compute(), c.numbers


def _mapped(c, n_primes=None):
    futures = c.client.map(is_prime, c.numbers)
    if n_primes is None:
        n_primes = np.int64(sum(f.result() for f in futures))
    return futures, n_primes, c.numbers


right(L, "q1", "NumPy booleans", lambda c: (is_prime_numpy,))
wrong(L, "q1", "odd means prime", lambda c: (is_prime_odd,), "is_prime(1) returned True; 1 is not prime")
right(L, "q2", "Python's sum of Delayed objects", _sum_of_delayed)
wrong(L, "q2", "the tests run eagerly, one delayed sum", _eager_count, "the prime tests already ran")
wrong(L, "q2", "computed already", _computed_count, "not a Delayed")
right(L, "q3", "results one by one, as a NumPy int", _mapped)
wrong(L, "q3", "an object equal to everything", lambda c: _mapped(c, AlwaysEqual()), "should be a whole number")
wrong(L, "q3", "counted the futures", lambda c: _mapped(c, len(c.numbers)), "sum what client.gather returns")
right(
    L,
    "q4",
    "as_completed with results, each future cancelled",
    lambda c: (first_primes_with_results, c.client, c.numbers),
)
wrong(L, "q4", "a list comprehension", lambda c: (first_primes_in_order, c.client, c.numbers), "as_completed")
wrong(L, "q4", "never cancels", lambda c: (first_primes_no_cancel, c.client, c.numbers), "cancel the futures")


def checked_sqrt(x):
    if x < 0:
        raise ValueError(f"cannot take the square root of {x}")
    return math.sqrt(x)


MIXED = [16, -4, 2.25, -1, 81]


def _failed(c, how):
    from distributed import wait

    func = checked_sqrt if how != "no errors" else abs
    attempts = c.client.map(func, MIXED, pure=False)
    wait(attempts)
    failed = [x for x, f in zip(MIXED, attempts) if f.status == "error"]
    roots = c.client.gather(attempts, errors="skip")
    if how == "as_completed":
        failed, roots = [], []
        for future in as_completed(attempts):
            if future.exception() is not None:
                failed.append(MIXED[attempts.index(future)])
        failed.sort(key=MIXED.index)
        roots = [f.result() for f in attempts if f.status == "finished"]
    elif how == "indexes":
        failed = [i for i, f in enumerate(attempts) if f.status == "error"]
    elif how == "results":
        attempts = roots
    elif how == "with None":
        roots = [f.result() if f.status == "finished" else None for f in attempts]
    return attempts, failed, roots, MIXED


right(L, "q5", "as_completed and exception()", lambda c: _failed(c, "as_completed"))
wrong(L, "q5", "positions instead of the numbers", lambda c: _failed(c, "indexes"), "belong to the numbers")
wrong(L, "q5", "results instead of futures", lambda c: _failed(c, "results"), "not their results")
wrong(L, "q5", "a function that never fails", lambda c: _failed(c, "no errors"), "none of your futures failed")
wrong(L, "q5", "None kept for the failures", lambda c: _failed(c, "with None"), "an item of `roots` should be a number")

# =========================================================================== 03 arrays

L = "03-dask-arrays"


def _da():
    import dask.array as da

    return da


def scale_block_ptp(block):
    return (block - block.min()) / np.ptp(block)


def _persisted(c):
    from distributed import wait

    kept = c.client.persist(c.data3)
    wait(kept)
    return kept, c.data3


right(L, "q1", "the legacy da.random.random", lambda c: (_da().random.random((6000, 4000), chunks=(1500, 1000)),))
wrong(
    L,
    "q1",
    "da.ones",
    lambda c: (_da().ones((6000, 4000), chunks=(1500, 1000)),),
    "should hold random numbers spread evenly over [0, 1)",
)
wrong(
    L,
    "q1",
    "NumPy's random numbers wrapped",
    lambda c: (_da().from_array(np.random.default_rng(0).random((6000, 4000)), chunks=(1500, 1000)),),
    "wraps a NumPy array that already holds every number",
)
wrong(
    L,
    "q1",
    "rows and columns of the blocks swapped",
    lambda c: (_da().random.random((6000, 4000), chunks=(1000, 1500)),),
    "blocks of 1500 rows by 1000 columns",
)
right(L, "q2", "sum over the rows divided by their number", lambda c: (c.data3.sum(axis=0) / c.data3.shape[0], c.data3))
wrong(L, "q2", "the mean of every row", lambda c: (c.data3.mean(axis=1), c.data3), "average over axis=0")
wrong(
    L,
    "q2",
    "computed, then wrapped again",
    lambda c: (_da().from_array(c.data3.compute().mean(axis=0)), c.data3),
    "does not come from `data`'s task graph",
)
right(L, "q3", "client.persist", _persisted)
wrong(L, "q3", "never persisted", lambda c: (c.data3, c.data3), "holds no results on the workers")
wrong(L, "q3", "computed into memory", lambda c: (c.data3.compute(), c.data3), "it has been computed already")
right(L, "q4", "a dict of chunks", lambda c: (c.data3.rechunk({0: 250, 1: -1}), c.data3))
wrong(L, "q4", "rows cut in half", lambda c: (c.data3.rechunk((250, 100)), c.data3), "each block must hold whole rows")
right(
    L,
    "q5",
    "np.ptp and da.map_blocks",
    lambda c: (scale_block_ptp, _da().map_blocks(scale_block_ptp, c.data3, dtype=float), c.data3),
)
wrong(
    L,
    "q5",
    "the whole array scaled at once",
    lambda c: (scale_block_ptp, (c.data3 - c.data3.min()) / (c.data3.max() - c.data3.min()), c.data3),
    "is not scaled by its own min and max",
)

# =========================================================================== 04 dataframes

L = "04-dask-dataframes"


def daily_range_agg(part):
    return part.groupby("station")["temperature"].agg(lambda t: t.max() - t.min())


def daily_range_max_only(part):
    return part.groupby("station")["temperature"].max()


def _pandas_spread(c):
    import dask.dataframe as dd

    frame = c.df4.compute()
    return dd.from_pandas(frame[frame.x > 0].groupby("name").y.std(), npartitions=1)


def _readings_without_flag_type(c):
    import dask.dataframe as dd

    return dd.read_csv(str(c.csv_folder / "*.csv"), dtype={"station": "string"}, parse_dates=["time"]), c.csv_folder


def _readings_floats(c):
    import dask.dataframe as dd

    return dd.read_csv(
        str(c.csv_folder / "*.csv"), dtype={"station": "string", "flag": "float64"}, parse_dates=["time"]
    ), c.csv_folder


def _readings_one_file(c):
    import dask.dataframe as dd

    first = sorted(c.csv_folder.glob("*.csv"))[0]
    return dd.read_csv(str(first), dtype={"station": "string", "flag": "Int64"}, parse_dates=["time"]), c.csv_folder


def _back(c, how):
    import dask.dataframe as dd

    wanted = ["time", "station", "temperature"]
    folder = c.parquet_dir
    back = {
        "select": lambda: dd.read_parquet(folder)[wanted],
        "csv": lambda: c.readings[wanted],
        "all": lambda: dd.read_parquet(folder),
    }[how]()
    return back, folder, c.csv_folder


right(L, "q1", "len of the filtered frame", lambda c: (len(c.df4[(c.df4.name == "Alice") & (c.df4.x > 0.5)]), c.df4))
wrong(
    L,
    "q1",
    "or instead of and",
    lambda c: (int(((c.df4.name == "Alice") | (c.df4.x > 0.5)).sum().compute()), c.df4),
    "Combine the two conditions with &",
)
wrong(
    L,
    "q1",
    "left lazy",
    lambda c: (((c.df4.name == "Alice") & (c.df4.x > 0.5)).sum(), c.df4),
    "still a lazy Dask object",
)
right(L, "q2", "agg('std') on a .loc filter", lambda c: (c.df4.loc[c.df4.x > 0].groupby("name").y.agg("std"), c.df4))
wrong(L, "q2", "no filter", lambda c: (c.df4.groupby("name").y.std(), c.df4), "filter first")
wrong(
    L,
    "q2",
    "computed",
    lambda c: (c.df4[c.df4.x > 0].groupby("name").y.std().compute(), c.df4),
    "should be a lazy Dask Series",
)
wrong(L, "q2", "computed in pandas, wrapped again", lambda c: (_pandas_spread(c), c.df4), "is not computed from `df`")
right(L, "q3", "flag as float64", _readings_floats)
wrong(L, "q3", "flag left to guess", _readings_without_flag_type, "cannot hold the empty cells")
wrong(L, "q3", "only the first file", _readings_one_file, "read all of them with one glob pattern")
right(L, "q4", "read everything, then select the columns", lambda c: _back(c, "select"))
wrong(L, "q4", "columns of the CSV frame, not read back", lambda c: _back(c, "csv"), "not read from the Parquet files")
wrong(L, "q4", "every column read back", lambda c: _back(c, "all"), "read only")
right(
    L, "q5", "agg with a lambda", lambda c: (daily_range_agg, c.readings.map_partitions(daily_range_agg), c.csv_folder)
)
wrong(
    L,
    "q5",
    "a groupby over the whole frame",
    lambda c: (
        daily_range_agg,
        (c.readings.groupby("station").temperature.max() - c.readings.groupby("station").temperature.min()),
        c.csv_folder,
    ),
    "not made with map_partitions",
)
wrong(
    L,
    "q5",
    "only the maximum",
    lambda c: (daily_range_max_only, c.readings.map_partitions(daily_range_max_only), c.csv_folder),
    "max minus min per station",
)


def _a7(c, how):
    import dask.dataframe as dd

    folder = c.station_dir
    a7 = {
        "in": lambda: dd.read_parquet(folder, filters=[("station", "in", ["A7"])]),
        "or-list": lambda: dd.read_parquet(folder, filters=[[("station", "==", "A7")]]),
        "late": lambda: dd.read_parquet(folder)[lambda f: f.station == "A7"],
        "folder": lambda: dd.read_parquet(folder / "station=A7"),
        "no-column": lambda: dd.read_parquet(
            folder, filters=[("station", "==", "A7")], columns=["time", "temperature"]
        ),
        "other": lambda: dd.read_parquet(folder, filters=[("station", "==", "103")]),
        "unpartitioned": lambda: dd.read_parquet(c.parquet_dir, filters=[("station", "==", "A7")]),
    }[how]()
    return a7, (c.parquet_dir if how == "unpartitioned" else folder), c.csv_folder


right(L, "q6", "partition_size in bytes", lambda c: (c.rare4.repartition(partition_size=1_000_000), c.rare4), fast=True)
wrong(
    L,
    "q6",
    "a number of partitions instead of a size",
    lambda c: (c.rare4.repartition(npartitions=1), c.rare4),
    "asks for a size",
    fast=True,
)
wrong(L, "q6", "not repartitioned", lambda c: (c.rare4, c.rare4), "is not repartitioned", fast=True)
wrong(
    L,
    "q6",
    "computed",
    lambda c: (c.rare4.repartition(partition_size="1MB").compute(), c.rare4),
    "should be a lazy Dask DataFrame",
    fast=True,
)
wrong(
    L,
    "q6",
    "a size smaller than a partition",
    lambda c: (c.rare4.repartition(partition_size="1kB"), c.rare4),
    "larger than a partition",
    fast=True,
)
right(L, "q7", "filters with 'in'", lambda c: _a7(c, "in"), fast=True)
right(L, "q7", "filters as a list of lists", lambda c: _a7(c, "or-list"), fast=True)
wrong(L, "q7", "every file read, filtered afterwards", lambda c: _a7(c, "late"), "filters afterwards", fast=True)
right(
    L, "q7", "the station=A7 folder read by itself (pyarrow adds station back)", lambda c: _a7(c, "folder"), fast=True
)
wrong(
    L,
    "q7",
    "filters, but the station column left out",
    lambda c: _a7(c, "no-column"),
    "has no station column",
    fast=True,
)
wrong(L, "q7", "another station", lambda c: _a7(c, "other"), "the station=A7 folder has", fast=True)
wrong(L, "q7", "written without partition_on", lambda c: _a7(c, "unpartitioned"), "no station=... folders", fast=True)

# =========================================================================== 05 bags

L = "05-dask-bags"


def _python_records(folder):
    return [json.loads(line) for f in sorted(folder.glob("*.jsonl")) for line in f.read_text().splitlines() if line]


def _db():
    import dask.bag as db

    return db


def _add_person(total, person):
    ages, people = total
    return ages + person["age"], people + 1


def _add_totals(a, b):
    return tuple(np.add(a, b))


def _state(person):
    return person["address"]["state"]


def _by_state_foldby(c):
    totals = c.people.foldby(_state, _add_person, (0, 0), _add_totals, (0, 0))
    means = {state: np.divide(*t) for state, t in totals.compute()}
    return totals, means, c.people_folder


def _by_state_groupby(c):
    totals = c.people.groupby(_state)
    means = {state: float(np.mean([p["age"] for p in group])) for state, group in totals.compute()}
    return totals, means, c.people_folder


def _running_mean(mean, person):
    return (mean + person["age"]) / 2


def _mean_of_means(c):
    totals = c.people.foldby(_state, _running_mean, 0.0, lambda a, b: (a + b) / 2, 0.0)
    return totals, dict(totals.compute()), c.people_folder


right(L, "q1", "counted by len of the computed bag", lambda c: (c.people, len(c.people.compute()), c.people_folder))
wrong(
    L,
    "q1",
    "records read by Python, then put in a bag",
    lambda c: (
        _db().from_sequence(_python_records(c.people_folder), npartitions=4),
        len(_python_records(c.people_folder)),
        c.people_folder,
    ),
    "let Dask read the files",
)
wrong(L, "q1", "the count left lazy", lambda c: (c.people, c.people.count(), c.people_folder), "still lazy")
wrong(
    L,
    "q1",
    "the lines of one file",
    lambda c: (c.people, len(sorted(c.people_folder.glob("*.jsonl"))[0].read_text().splitlines()), c.people_folder),
    "Count the bag of parsed records",
)
right(L, "q2", "not younger than 65", lambda c: (c.people.filter(lambda p: not p["age"] < 65), c.people_folder))
right(L, "q2", "remove the younger ones", lambda c: (c.people.remove(lambda p: p["age"] < 65), c.people_folder))
wrong(
    L,
    "q2",
    "filtered in Python, put back in a bag",
    lambda c: (_db().from_sequence([p for p in c.people.compute() if p["age"] >= 65]), c.people_folder),
    "is not a filtered bag",
)
wrong(
    L,
    "q2",
    "older than 65",
    lambda c: (c.people.filter(lambda p: p["age"] > 65), c.people_folder),
    "aged 65 or over (age >= 65)",
)
right(
    L,
    "q3",
    "sorted frequencies",
    lambda c: (
        sorted(c.people.pluck("occupation").frequencies().compute(), key=lambda kv: -kv[1])[:3],
        c.people_folder,
    ),
)
wrong(
    L,
    "q3",
    "topk without a key",
    lambda c: (c.people.pluck("occupation").frequencies().topk(3).compute(), c.people_folder),
    "but the three largest are",
)
wrong(
    L,
    "q3",
    "objects equal to everything",
    lambda c: ([(AlwaysEqual(), AlwaysEqual())] * 3, c.people_folder),
    "should be a string",
)
right(L, "q4", "NumPy pairs folded", _by_state_foldby)
wrong(L, "q4", "groupby instead of foldby", _by_state_groupby, "is not made with foldby")
wrong(L, "q4", "a fold of running means", _mean_of_means, "a mean of means is not the mean")

# =========================================================================== 06 xarray

L = "06-xarray-dask"


def longest_run_numpy(frozen):
    frozen = np.asarray(frozen, dtype=bool)
    if not frozen.any():
        return 0
    edges = np.flatnonzero(np.diff(np.concatenate([[0], frozen.astype(int), [0]])))
    return int((edges[1::2] - edges[::2]).max())


def longest_run_total(frozen):
    return int(np.sum(frozen))


def _frost(c, func):
    import xarray as xr

    return (
        func,
        xr.apply_ufunc(
            func, c.air < 273.15, input_core_dims=[["time"]], vectorize=True, dask="parallelized", output_dtypes=[int]
        ),
        c.ds6,
    )


def _open(chunks):
    import hpclab.data

    return hpclab.data.air_temperature(chunks=chunks)["air"]


right(L, "q1", "chunk() after opening, 10 x 10", lambda c: (c.ds["air"].chunk({"time": -1, "lat": 10, "lon": 10}),))
wrong(L, "q1", "time in pieces", lambda c: (_open({"time": 100, "lat": 25, "lon": 25}),), "use 'time': -1")
wrong(L, "q1", "opened without chunks", lambda c: (c.ds["air"],), "holds NumPy data")
right(L, "q2", "grouped by the month coordinate", lambda c: (c.air.groupby(c.air.time.dt.month).mean("time"), c.ds6))
wrong(L, "q2", "by season", lambda c: (c.air.groupby("time.season").mean("time"), c.ds6), "expected 12 months")
right(
    L,
    "q3",
    "climatology computed inline",
    lambda c: (c.air.groupby("time.month") - c.air.groupby("time.month").mean("time"), c.ds6),
)
wrong(
    L,
    "q3",
    "minus the yearly mean",
    lambda c: (c.air - c.air.mean("time"), c.ds6),
    "air minus the mean of the same calendar month",
)
wrong(
    L,
    "q3",
    "computed",
    lambda c: (c.ds6["air"].groupby("time.month") - c.ds6["air"].groupby("time.month").mean("time"), c.ds6),
    "keep it lazy",
)
wrong(
    L,
    "q3",
    "computed, then chunked again",
    lambda c: (
        (c.ds6["air"].groupby("time.month") - c.ds6["air"].groupby("time.month").mean("time")).chunk({"lat": 5}),
        c.ds6,
    ),
    "was computed first and then chunked again",
)
right(L, "q4", "run lengths from np.diff", lambda c: _frost(c, longest_run_numpy))
wrong(
    L,
    "q4",
    "counts every frozen step",
    lambda c: _frost(c, longest_run_total),
    "longest_run([False, True, True, False, True]) returned 3, expected 2",
)


def _anom_fast(c, how="sel"):
    clim = c.air.groupby("time.month").mean("time")
    if how == "sel":
        return c.air - clim.compute().sel(month=c.air["time.month"]), c.air
    if how == "grouped":
        return c.air.groupby("time.month") - clim, c.air
    if how == "grouped-rechunked":
        return (c.air.groupby("time.month") - clim).chunk({"time": -1, "lat": 5, "lon": 6}), c.air
    if how == "computed":
        return (c.air - clim.compute().sel(month=c.air.time.dt.month)).compute(), c.air
    if how == "yearly":
        return c.air - c.air.mean("time").compute(), c.air
    raise ValueError(how)


def _checkpoint(c, how):
    import xarray as xr

    anom_fast, _ = _anom_fast(c)
    path = c.tmp("zarr") / "anomaly.zarr"
    if how == "netcdf":
        anom_fast.to_dataset(name="anomaly").to_netcdf(path.with_suffix(".nc"), engine="h5netcdf")
        return xr.open_dataset(path.with_suffix(".nc"), engine="h5netcdf", chunks={})["anomaly"], path, c.air
    anom_fast.to_dataset(name="anomaly").to_zarr(path, mode="w")
    reopened = {
        "open_zarr": lambda: xr.open_zarr(path)["anomaly"],
        "open_dataset": lambda: xr.open_dataset(path, engine="zarr", chunks={})["anomaly"],
        "not reopened": lambda: anom_fast,
        "loaded": lambda: xr.open_zarr(path)["anomaly"].load(),
    }[how]()
    return reopened, path, c.air


right(L, "q5", "clim.sel by the time.month coordinate", lambda c: _anom_fast(c, "sel"))
wrong(L, "q5", "the grouped subtraction", lambda c: _anom_fast(c, "grouped"), "chunks where `air` has")
wrong(L, "q5", "grouped, then rechunked", lambda c: _anom_fast(c, "grouped-rechunked"), "tasks: rechunking")
wrong(L, "q5", "computed", lambda c: _anom_fast(c, "computed"), "already computed")
wrong(L, "q5", "minus the yearly mean", lambda c: _anom_fast(c, "yearly"), "values of `anom_fast` differ")
right(L, "q6", "to_zarr, then open_zarr (consolidated)", lambda c: _checkpoint(c, "open_zarr"))
right(L, "q6", "open_dataset with engine='zarr'", lambda c: _checkpoint(c, "open_dataset"))
wrong(L, "q6", "written, but the lazy anomaly kept", lambda c: _checkpoint(c, "not reopened"), "not read back")
wrong(L, "q6", "reopened and loaded", lambda c: _checkpoint(c, "loaded"), "holds NumPy data")
wrong(L, "q6", "a netCDF file instead", lambda c: _checkpoint(c, "netcdf"), "no Zarr store")

# =========================================================================== 07 dask-ml

L = "07-dask-ml"


def r2_from_var(y_true, y_pred, compute=True):
    r2 = 1 - ((y_true - y_pred) ** 2).mean() / y_true.var()
    return r2.compute() if compute else r2


def r2_always_computed(y_true, y_pred, compute=True):
    return float((1 - ((y_true - y_pred) ** 2).sum() / ((y_true - y_true.mean()) ** 2).sum()).compute())


def r2_wrong_total(y_true, y_pred, compute=True):
    r2 = 1 - ((y_true - y_pred) ** 2).sum() / (y_true**2).sum()
    return r2.compute() if compute else r2


def _model(c, wrap=True, numpy_first=False):
    from dask_ml.wrappers import ParallelPostFit
    from sklearn.svm import SVC

    X_train, X_test, y_train, y_test = c.digits
    model = ParallelPostFit(estimator=SVC(gamma=0.001)) if wrap else SVC(gamma=0.001)
    model.fit(X_train, y_train)
    predicted = model.predict(c.X_big) if wrap else c.X_big.map_blocks(model.predict, drop_axis=1, dtype=int)
    if numpy_first:
        predicted = _da().from_array(model.predict(c.X_big.compute()), chunks=len(X_test))
    return model, predicted, c.X_big, y_test


PARAM_GRID = {"C": [1, 10], "gamma": [0.001, 0.0001]}


def _search(c, kind):
    from sklearn.svm import SVC

    X_train, X_test, y_train, y_test = c.digits
    if kind == "sklearn":
        from sklearn.model_selection import GridSearchCV
    else:
        from dask_ml.model_selection import GridSearchCV
    search = GridSearchCV(SVC(), PARAM_GRID, cv=3)
    if kind != "unfitted":
        search.fit(X_train, y_train)
    return search, PARAM_GRID, X_test, y_test


right(
    L,
    "q1",
    "one list repeated",
    lambda c: (_da().concatenate([_da().from_array(c.digits[1], chunks=c.digits[1].shape)] * 20), c.digits[1]),
)
wrong(
    L,
    "q1",
    "stacked in NumPy, chunked by Dask",
    lambda c: (_da().from_array(np.vstack([c.digits[1]] * 20)), c.digits[1]),
    "make one block per copy",
)
right(L, "q2", "ParallelPostFit(estimator=...)", _model)
wrong(L, "q2", "predicted in NumPy, wrapped again", lambda c: _model(c, numpy_first=True), "is not computed from X_big")
wrong(L, "q2", "a bare SVC mapped over the blocks", lambda c: _model(c, wrap=False), "wrap the scikit-learn estimator")
right(L, "q3", "three folds", lambda c: _search(c, "dask"))
wrong(L, "q3", "scikit-learn's GridSearchCV", lambda c: _search(c, "sklearn"), "from dask_ml.model_selection")
wrong(L, "q3", "never fitted", lambda c: _search(c, "unfitted"), "has not been fitted")
right(L, "q4", "mean squared error over the variance", lambda c: (r2_from_var,))
wrong(L, "q4", "always computes", lambda c: (r2_always_computed,), "with compute=False, r2_lazy returned a float")
wrong(L, "q4", "total sum of squares not centred", lambda c: (r2_wrong_total,), "= 1 - SS_res / SS_tot")

# =========================================================================== 08 point to point

L = "08-mpi-point-to-point"
HEAD = "import numpy as np\nfrom mpi4py import MPI\ncomm = MPI.COMM_WORLD\n"

right(
    L,
    "q1",
    "a tag and any source",
    lambda c: (
        HEAD
        + """
message = None
if comm.rank == 0:
    comm.send({"from": 0, "primes": [2, 3, 5, 7]}, dest=3, tag=11)
if comm.rank == 3:
    message = comm.recv(source=MPI.ANY_SOURCE, tag=11)
""",
    ),
)
wrong(
    L,
    "q1",
    "sent to rank 2",
    lambda c: (
        HEAD
        + """
message = None
if comm.rank == 0:
    comm.send({"from": 0, "primes": [2, 3, 5, 7]}, dest=2)
if comm.rank == 2:
    message = comm.recv(source=0)
""",
    ),
    "rank 2 received message =",
)

BUFFER = (
    HEAD
    + """
buffer = np.zeros(8, dtype="i")
if comm.rank == 1:
    comm.Send(SEND, dest=2, tag=7)
elif comm.rank == 2:
    comm.Recv(RECV, source=1, tag=7)
"""
)
right(
    L,
    "q2",
    "MPI.INT32_T through a name",
    lambda c: (
        BUFFER.replace("buffer = ", "INT32 = MPI.INT32_T\nbuffer = ")
        .replace("SEND", "[np.arange(1, 9, dtype='i'), INT32]")
        .replace("RECV", "[buffer, INT32]"),
    ),
)
wrong(
    L,
    "q2",
    "datatype guessed, MPI.INT only in a comment",
    lambda c: (BUFFER.replace("SEND", "np.arange(1, 9, dtype='i')").replace("RECV", "buffer") + "# [data, MPI.INT]\n",),
    "lets mpi4py guess the datatype",
    fast=True,
)
wrong(
    L,
    "q2",
    "a 64-bit type",
    lambda c: (BUFFER.replace("SEND", "[np.arange(1, 9, dtype='i'), MPI.LONG]").replace("RECV", "[buffer, MPI.LONG]"),),
    "does not describe the 32-bit integers",
    fast=True,
)

right(
    L,
    "q3",
    "even ranks send first",
    lambda c: (
        HEAD
        + """
partner = comm.rank ^ 1
outgoing = np.full(50_000, float(comm.rank))
received = np.empty(50_000)
if comm.rank % 2 == 0:
    comm.Send(outgoing, dest=partner)
    comm.Recv(received, source=partner)
else:
    comm.Recv(received, source=partner)
    comm.Send(outgoing, dest=partner)
""",
    ),
)
wrong(
    L,
    "q3",
    "the partner's values made locally",
    lambda c: (
        HEAD
        + """
received = np.full(50_000, float(comm.rank ^ 1))  # what Sendrecv would bring
""",
    ),
    "should move the data with MPI messages",
    fast=True,
)

right(
    L,
    "q4",
    "Probe, then receive from whoever it was",
    lambda c: (
        HEAD
        + """
arrivals = None
if comm.rank == 0:
    arrivals = {}
    for _ in range(comm.size - 1):
        status = MPI.Status()
        comm.Probe(source=MPI.ANY_SOURCE, tag=MPI.ANY_TAG, status=status)
        value = comm.recv(source=status.Get_source(), tag=status.Get_tag())
        arrivals[status.source] = (value, status.tag)
else:
    comm.send(100 * comm.rank, dest=0, tag=comm.rank)
""",
    ),
)
wrong(
    L,
    "q4",
    "receives in rank order",
    lambda c: (
        HEAD
        + """
arrivals = None
if comm.rank == 0:
    arrivals = {source: (comm.recv(source=source, tag=source), source) for source in range(1, comm.size)}
else:
    comm.send(100 * comm.rank, dest=0, tag=comm.rank)
""",
    ),
    "`ANY_SOURCE`",
    fast=True,
)

right(
    L,
    "q5",
    "Python ints in buffers made by the list",
    lambda c: (
        HEAD
        + """
size = comm.size
bufs = [np.empty(1, dtype="i8") for _ in range(2)]
mine = np.array([comm.rank], dtype="i8")
reqs = [comm.Isend(mine, dest=(comm.rank + 1) % size, tag=10), comm.Isend(mine, dest=(comm.rank - 1) % size, tag=20)]
reqs += [comm.Irecv(bufs[0], source=(comm.rank - 1) % size, tag=10),
         comm.Irecv(bufs[1], source=(comm.rank + 1) % size, tag=20)]
MPI.Request.Waitall(reqs)
from_left, from_right = int(bufs[0][0]), int(bufs[1][0])
""",
    ),
)
wrong(
    L,
    "q5",
    "blocking sendrecv",
    lambda c: (
        HEAD
        + """
left, right = (comm.rank - 1) % comm.size, (comm.rank + 1) % comm.size
from_left = comm.sendrecv(comm.rank, dest=right, source=left)
from_right = comm.sendrecv(comm.rank, dest=left, source=right)
""",
    ),
    "`Isend`",
    fast=True,
)

right(
    L,
    "q6",
    "Isend/Irecv with PROC_NULL",
    lambda c: (
        HEAD
        + """
first = 5 * comm.rank
u = np.zeros(7)
u[1:-1] = np.arange(first, first + 5, dtype=float) ** 2
left = comm.rank - 1 if comm.rank > 0 else MPI.PROC_NULL
right = comm.rank + 1 if comm.rank < comm.size - 1 else MPI.PROC_NULL
reqs = [comm.Irecv(u[0:1], source=left, tag=1), comm.Irecv(u[6:7], source=right, tag=2),
        comm.Isend(u[5:6].copy(), dest=right, tag=1), comm.Isend(u[1:2].copy(), dest=left, tag=2)]
MPI.Request.Waitall(reqs)
laplacian = u[:-2] - 2 * u[1:-1] + u[2:]
""",
    ),
)
wrong(
    L,
    "q6",
    "ghosts computed from the formula",
    lambda c: (
        HEAD
        + """
r = comm.rank
x = np.arange(5 * r - 1, 5 * r + 6, dtype=float)
u = x ** 2  # as if sent by the neighbours
laplacian = u[:-2] - 2 * u[1:-1] + u[2:]
""",
    ),
    "should move the data with MPI messages",
    fast=True,
)

# =========================================================================== 09 collectives

L = "09-mpi-collectives"


def share_bool(total, size, rank):
    return total // size + (rank < total % size)


def share_floor(total, size, rank):
    return total // size


CLUSTER_TIMES = {1: 96.0, 2: 49.5, 4: 26.1, 8: 14.9, 16: 9.6, 32: 7.2}


def _direct_fit(speedups):
    """Least squares on S(p) itself, by a fine grid: the 'other sensible fit' the question allows."""
    grid = np.linspace(0, 0.2, 20_001)
    errors = sum((1 / (grid + (1 - grid) / p) - s) ** 2 for p, s in speedups.items())
    return float(grid[int(np.argmin(errors))])


def _scaling(how):
    from hpclab import scaling

    speedups = {p: np.float64(CLUSTER_TIMES[1] / t) for p, t in CLUSTER_TIMES.items()}
    f = _direct_fit(speedups)
    cores = 1
    while scaling.amdahl(f, cores) / cores >= 0.8:
        cores += 1
    if how == "one point":
        s2 = speedups[2]
        f = (2 / s2 - 1) / (2 - 1)
    if how == "cores of the other fit":
        cores = 8
    if how == "times over":
        speedups = {p: t / CLUSTER_TIMES[1] for p, t in CLUSTER_TIMES.items()}
    return CLUSTER_TIMES, speedups, f, cores


PI = (
    HEAD
    + """
import sys
total = int(sys.argv[1])
my_samples = total // comm.size + (comm.rank < total % comm.size)
seq = np.random.SeedSequence(99).spawn(comm.size)[comm.rank]
rng = np.random.default_rng(seq)
t0 = MPI.Wtime()
points = rng.random((my_samples, 2))
hits = int(((points ** 2).sum(axis=1) <= 1).sum())
COMBINE
elapsed = MPI.Wtime() - t0
pi_estimate = 4 * total_hits / total if comm.rank == 0 else None
"""
)

right(L, "q1", "a boolean added to the floor", lambda c: (share_bool,), fast=True)
wrong(L, "q1", "the floor only", lambda c: (share_floor,), "(they add up to 8, not 10)", fast=True)
right(
    L,
    "q2",
    "bcast of a conditional expression",
    lambda c: (
        HEAD
        + """
config = comm.bcast({"samples": 1_000_000, "seed": 2024, "method": "monte-carlo"} if comm.rank == 0 else None)
my_seed = config["seed"] + comm.rank
""",
    ),
)
wrong(
    L,
    "q2",
    "every rank builds its own",
    lambda c: (
        HEAD
        + """
config = {"samples": 1_000_000, "seed": 2024, "method": "monte-carlo"}  # no need to bcast(
my_seed = config["seed"] + comm.rank
""",
    ),
    "`bcast(`",
    fast=True,
)
right(
    L,
    "q3",
    "explicit [buffer, MPI.DOUBLE]",
    lambda c: (
        HEAD
        + """
data = np.arange(16, dtype="d") if comm.rank == 0 else None
chunk = np.empty(4)
comm.Scatter([data, MPI.DOUBLE] if comm.rank == 0 else None, [chunk, MPI.DOUBLE], root=0)
squared = chunk ** 2
result = np.empty(16) if comm.rank == 0 else None
comm.Gather([squared, MPI.DOUBLE], [result, MPI.DOUBLE] if comm.rank == 0 else None, root=0)
""",
    ),
)
wrong(
    L,
    "q3",
    "lower-case scatter of a list",
    lambda c: (
        HEAD
        + """
data = np.arange(16, dtype="d") if comm.rank == 0 else None
chunk = comm.scatter(np.split(data, comm.size) if comm.rank == 0 else None, root=0)
squared = chunk ** 2
parts = comm.gather(squared, root=0)
result = np.concatenate(parts) if comm.rank == 0 else None
""",
    ),
    "`.Scatter(`",
    fast=True,
)
right(
    L,
    "q4",
    "upper-case calls on NumPy buffers",
    lambda c: (
        HEAD
        + """
value = (3 * comm.rank + 1) % 7
total = np.zeros(1, dtype="i")
comm.Allreduce(np.array([value], dtype="i"), total, op=MPI.SUM)
largest = np.zeros(1, dtype="i") if comm.rank == 0 else None
comm.Reduce(np.array([value], dtype="i"), largest, op=MPI.MAX, root=0)
""",
    ),
)
wrong(
    L,
    "q4",
    "gather, then Python's max",
    lambda c: (
        HEAD
        + """
value = (3 * comm.rank + 1) % 7
total = comm.allreduce(value)
values = comm.gather(value, root=0)
largest = max(values) if comm.rank == 0 else None
""",
    ),
    "`MPI.MAX`",
    fast=True,
)
right(L, "q5", "least squares on S(p): f = 0.044, 7 cores", lambda c: _scaling("direct"), fast=True)
wrong(L, "q5", "f from the 2-core run alone", lambda c: _scaling("one point"), "does not fit these speedups", fast=True)
wrong(
    L,
    "q5",
    "cores that do not follow from f",
    lambda c: _scaling("cores of the other fit"),
    "first drops below 0.8 at p = 7",
    fast=True,
)
wrong(L, "q5", "T(p) / T(1)", lambda c: _scaling("times over"), "expected T(1)/T(2) = 1.939", fast=True)
right(
    L,
    "q6",
    "lower-case reduce, one 2-column draw",
    lambda c: (PI.replace("COMBINE", "total_hits = comm.reduce(hits, op=MPI.SUM, root=0)"),),
)
wrong(
    L,
    "q6",
    "reduce only in a comment; gather does the work",
    lambda c: (PI.replace("COMBINE", "total_hits = sum(comm.gather(hits, root=0) or [])  # instead of reduce"),),
    "a comment or a name that mentions it does not combine anything",
    fast=True,
)

UNEVEN = (
    HEAD
    + """
counts = np.arange(1, comm.size + 1)
displs = DISPLS
data = np.arange(10, dtype="d") if comm.rank == 0 else None
piece = np.zeros(counts[comm.rank])
comm.Scatterv([data, (counts, displs), MPI.DOUBLE] if comm.rank == 0 else None, [piece, MPI.DOUBLE], root=0)
sums = comm.allgather(float(piece.sum()))
"""
)
right(
    L,
    "q7",
    "tuple of counts and cumsum displacements, lower-case allgather",
    lambda c: (UNEVEN.replace("DISPLS", "np.concatenate([[0], np.cumsum(counts)[:-1]])"),),
)
wrong(
    L,
    "q7",
    "displacements one apart",
    lambda c: (UNEVEN.replace("DISPLS", "np.arange(comm.size)"),),
    "the displacements say where each piece starts",
)
wrong(
    L,
    "q7",
    "lower-case scatter of np.split pieces",
    lambda c: (
        HEAD
        + """
data = np.arange(10, dtype="d") if comm.rank == 0 else None
piece = comm.scatter(np.split(data, [1, 3, 6]) if comm.rank == 0 else None, root=0)
sums = comm.allgather(piece.sum())
""",
    ),
    "deal out the pieces with comm.Scatterv",
    fast=True,
)
wrong(
    L,
    "q7",
    "gather, then bcast",
    lambda c: (
        UNEVEN.replace("DISPLS", "[0, 1, 3, 6]").replace(
            "sums = comm.allgather(float(piece.sum()))", "sums = comm.bcast(comm.gather(piece.sum(), root=0), root=0)"
        ),
    ),
    "comm.Allgather (or comm.allgather)",
    fast=True,
)

SPLIT = (
    HEAD
    + """
values = np.array([comm.rank, comm.rank ** 2], dtype="d")
half = comm.Split(comm.rank % 2, comm.rank)
half_rank = half.Get_rank()
REDUCE
"""
)
right(
    L,
    "q8",
    "positional colour and key, [buffer, MPI.DOUBLE]",
    lambda c: (
        SPLIT.replace("REDUCE", "half.Allreduce(sendbuf=MPI.IN_PLACE, recvbuf=[values, MPI.DOUBLE], op=MPI.SUM)"),
    ),
)
wrong(
    L,
    "q8",
    "Allreduce on COMM_WORLD",
    lambda c: (SPLIT.replace("REDUCE", "comm.Allreduce(MPI.IN_PLACE, values, op=MPI.SUM)"),),
    "the communicator Split returned",
)
wrong(
    L,
    "q8",
    "a second array, IN_PLACE only in a comment",
    lambda c: (
        SPLIT.replace(
            "REDUCE",
            "total = np.empty(2)\nhalf.Allreduce(values, total, op=MPI.SUM)  # instead of MPI.IN_PLACE\nvalues = total",
        ),
    ),
    "pass MPI.IN_PLACE as the send buffer",
    fast=True,
)
wrong(
    L,
    "q8",
    "split into first and second half",
    lambda c: (
        SPLIT.replace("comm.rank % 2", "comm.rank // 2").replace(
            "REDUCE", "half.Allreduce(MPI.IN_PLACE, values, op=MPI.SUM)"
        ),
    ),
    "rank 1 holds half_rank = 1 but expected 0",
)

# =========================================================================== 10 dask on Slurm

L = "10-dask-on-slurm"


def resources_list(workers, threads, nodes):
    if nodes > workers:
        raise ValueError("more nodes than workers")
    return [dict(nodes=np.int64(nodes), ntasks=workers, **{"cpus-per-task": threads}), workers + 2]


def resources_pays_for_all(workers, threads, nodes):
    if nodes > workers:
        raise ValueError("more nodes than workers")
    return {"nodes": nodes, "ntasks": workers + 2, "cpus-per-task": threads}, workers + 2


def scheduler_info_pathlib(path):
    from pathlib import Path

    info = json.loads(Path(path).read_text())
    return info["address"], info.get("services", {}).get("dashboard")


def scheduler_info_indexing(path):
    with open(path) as fh:
        info = json.load(fh)
    return info["address"], info["services"]["dashboard"]


def core_hours_split(elapsed, nodes, ntasks, cpus_per_task, cores_per_node, exclusive):
    days, _, clock = elapsed.rpartition("-")
    h, m, s = (int(part) for part in clock.split(":"))
    hours = 24 * int(days or 0) + h + m / 60 + s / 3600
    return (nodes * cores_per_node if exclusive else ntasks * cpus_per_task) * hours


def core_hours_no_days(elapsed, nodes, ntasks, cpus_per_task, cores_per_node, exclusive):
    h, m, s = (int(part) for part in elapsed.split("-")[-1].split(":"))
    return (nodes * cores_per_node if exclusive else ntasks * cpus_per_task) * (h + m / 60 + s / 3600)


def core_hours_asked(elapsed, nodes, ntasks, cpus_per_task, cores_per_node, exclusive):
    return core_hours_split(elapsed, nodes, ntasks, cpus_per_task, cores_per_node, False)


right(L, "q1", "NumPy integers", lambda c: (np.int64(8), np.int64(6), np.int64(1)), fast=True)
wrong(
    L,
    "q1",
    "one rank for the scheduler only",
    lambda c: (7, 6, 1),
    "srun is told --ntasks=$((SLURM_NTASKS + 2))",
    fast=True,
)
wrong(L, "q1", "the client on rank 0", lambda c: (8, 6, 0), "rank 0 runs the scheduler", fast=True)
right(L, "q2", "a list and NumPy numbers", lambda c: (resources_list,), fast=True)
wrong(
    L,
    "q2",
    "the two extra ranks paid for",
    lambda c: (resources_pays_for_all,),
    "pays for the scheduler and client",
    fast=True,
)
right(L, "q3", "pathlib and dict.get", lambda c: (scheduler_info_pathlib,), fast=True)
wrong(
    L, "q3", "indexing the dashboard", lambda c: (scheduler_info_indexing,), "return None as the port there", fast=True
)
right(L, "q4", "rpartition on the dash", lambda c: (core_hours_split,), fast=True)
wrong(L, "q4", "days dropped", lambda c: (core_hours_no_days,), "starts with a number of days", fast=True)
wrong(
    L, "q4", "exclusive ignored", lambda c: (core_hours_asked,), "an exclusive job is charged for every core", fast=True
)
right(L, "q5", "the other line of each two-line mistake", lambda c: ({8, 15, 18, 20, 24, 28},), fast=True)
wrong(L, "q5", "two of six", lambda c: ({8, 13},), "still to find: a rank that is not given all the CPUs", fast=True)
wrong(L, "q5", "every line marked", lambda c: (set(range(1, 30)),), "mark at most 8", fast=True)
wrong(
    L,
    "q5",
    "all six and a fine line",
    lambda c: ({2, 7, 12, 17, 18, 23, 27},),
    "some lines you marked are fine",
    fast=True,
)

# =========================================================================== 11 Dask to MPI

L = "11-dask-to-mpi"


def _holder(c, right_one=True):
    from distributed import futures_of

    x = c.x11
    future = next(f for f in futures_of(x) if tuple(f.key[1:]) == (1, 2))
    holders = c.client.who_has([future])[future.key]
    if right_one:
        return holders[0], c.client, x, (1, 2)
    others = [w for w in c.client.scheduler_info(n_workers=-1)["workers"] if w not in holders]
    return others[0], c.client, x, (1, 2)


def local_sum_count_numpy(pieces, blocks, comm):
    return np.float64(sum(np.sum(b) for b in blocks)), np.int64(sum(np.size(b) for b in blocks))


def local_sum_count_blocks(pieces, blocks, comm):
    return sum(float(b.sum()) for b in blocks), len(blocks)


MEAN_PROGRAM = """
import tempfile

import numpy as np
from dask_mpi import initialize

initialize(interface="lo", nthreads=1, dashboard=False, local_directory=tempfile.gettempdir())

import dask.array as da
import distributed

from hpclab import handoff


def sum_and_count(pieces, blocks, comm):
    total = comm.allreduce(sum(float(b.sum()) for b in blocks))
    count = comm.allreduce(sum(int(b.size) for b in blocks))
    return total, count


client = distributed.Client()
client.wait_for_workers(3, timeout=60)
x = client.persist(da.sqrt(da.arange(1, 1001, chunks=150)))
distributed.wait(x)
results = handoff.run_on_workers(client, x, sum_and_count, mpi=True)
total, count = results[sorted(results)[0]]
MEAN_LINE
"""


def _smooth_allgather():
    def smooth(pieces, blocks, comm):
        edges = {}
        for part in comm.allgather({p.index[0]: (b[0], b[-1]) for p, b in zip(pieces, blocks)}):
            edges.update(part)
        out = []
        for piece, block in zip(pieces, blocks):
            i = piece.index[0]
            left = edges[i - 1][1] if i - 1 in edges else block[0]
            right = edges[i + 1][0] if i + 1 in edges else block[-1]
            padded = np.concatenate([[left], block, [right]])
            out.append((piece.offset[0], (padded[:-2] + padded[1:-1] + padded[2:]) / 3))
        return out

    return smooth


def _smooth_own_edges():
    def smooth(pieces, blocks, comm):
        out = []
        for piece, block in zip(pieces, blocks):
            padded = np.pad(block, 1, mode="edge")  # the neighbours' values never arrive
            out.append((piece.offset[0], (padded[:-2] + padded[1:-1] + padded[2:]) / 3))
        return out

    return smooth


right(L, "q1", "the holder by who_has", _holder)
wrong(L, "q1", "the other worker", lambda c: _holder(c, right_one=False), "does not hold block (1, 2)")
right(L, "q2", "NumPy sum and size", lambda c: (local_sum_count_numpy, c.client, c.x11))
wrong(
    L,
    "q2",
    "counted blocks, not elements",
    lambda c: (local_sum_count_blocks, c.client, c.x11),
    "count elements (block.size), not blocks",
)
right(
    L,
    "q3",
    "lower-case allreduce of sum and count, divided on the client",
    lambda c: (MEAN_PROGRAM.replace("MEAN_LINE", "mean = total / count"),),
)
wrong(
    L,
    "q3",
    "the mean asked of Dask",
    lambda c: (MEAN_PROGRAM.replace("MEAN_LINE", "mean = float(x.mean().compute())"),),
    "does not come from what handoff.run_on_workers returned",
    fast=True,
)
wrong(
    L,
    "q3",
    "no communicator",
    lambda c: (MEAN_PROGRAM.replace(", mpi=True", "").replace("MEAN_LINE", "mean = total / count"),),
    "pass mpi=True",
    fast=True,
)
right(L, "q4", "edges shared with allgather", lambda c: (_smooth_allgather(),))
wrong(L, "q4", "each block padded with its own edges", lambda c: (_smooth_own_edges(),), "neighbour")


def placement_from_collection(client, x):
    from distributed import futures_of

    held = {address: [] for address in client.scheduler_info(n_workers=-1)["workers"]}
    futures_of(x)  # the futures are not needed: who_has accepts the collection itself
    for key, workers in client.who_has(x).items():
        held[workers[0]].append(key[1:])
    return {address: sorted(indexes) for address, indexes in held.items()}


def placement_str_keys(client, x):
    from distributed import futures_of

    by_text = {str(part.key): part for part in futures_of(x)}  # seed 004's recipe
    held = {address: [] for address in client.scheduler_info(n_workers=-1)["workers"]}
    for key, workers in client.who_has(x).items():
        held[workers[0]].append(by_text[key].key[1:])
    return {address: sorted(indexes) for address, indexes in held.items()}


def placement_only_holders(client, x):
    from distributed import futures_of

    held = {}
    for future in futures_of(x):
        for worker in client.who_has([future])[future.key][:1]:
            held.setdefault(worker, []).append(future.key[1:])
    return {address: sorted(indexes) for address, indexes in held.items()}


def placement_reverse_order(client, x):
    from distributed import futures_of

    held = {address: [] for address in client.scheduler_info(n_workers=-1)["workers"]}
    holders = client.who_has(futures_of(x))
    for key, workers in holders.items():
        held[workers[0]].append(key[1:])
    return {address: sorted(indexes, reverse=True) for address, indexes in held.items()}


def placement_by_helper(client, x):
    from hpclab import handoff

    return {address: [p.index for p in pieces] for address, pieces in handoff.placement(client, x).items()}


right(L, "q5", "who_has of the collection itself", lambda c: (placement_from_collection, c.client, c.x11))
wrong(L, "q5", "seed 004's str(key) dict", lambda c: (placement_str_keys, c.client, c.x11), "not by str(future.key)")
wrong(
    L,
    "q5",
    "only the workers who_has names",
    lambda c: (placement_only_holders, c.client, c.x11),
    "every worker must appear",
)
wrong(L, "q5", "blocks in reverse order", lambda c: (placement_reverse_order, c.client, c.x11), "not in chunk order")
wrong(L, "q5", "handoff.placement itself", lambda c: (placement_by_helper, c.client, c.x11), "calls handoff.placement")


def _weighted(kind):
    """Answers to Q6, made inside a function so the MPI workers get them by value (cloudpickle)."""

    def weighted_sum(pieces, blocks, comm):
        from mpi4py import MPI

        if kind == "plain":
            local = sum(float(b.sum()) for b in blocks)
        elif kind == "local positions":
            local = sum(float((np.arange(b.size) * b).sum()) for b in blocks)
        else:
            local = sum(float((np.arange(p.offset[0], p.offset[0] + b.size) * b).sum()) for p, b in zip(pieces, blocks))
        if kind == "own part":
            return local
        total = np.zeros(1)
        comm.Allreduce(np.array([local], dtype=float), total, op=MPI.SUM)  # sum([]) is the int 0
        return float(total[0])

    return weighted_sum


right(L, "q6", "Allreduce of the weighted parts", lambda c: (_weighted("right"),))
wrong(L, "q6", "each worker's own part", lambda c: (_weighted("own part"),), "returned only its own part")
wrong(L, "q6", "no weights", lambda c: (_weighted("plain"),), "returned the plain sum")
wrong(
    L,
    "q6",
    "positions inside the block",
    lambda c: (_weighted("local positions"),),
    "the position of block value k is piece.offset",
)

# =========================================================================== 12 capstone

L = "12-capstone"


def clean_with_xr_where(air):
    import xarray as xr

    return xr.where((air > 180) & (air < 340), air - 273.15, np.nan)


def clean_no_mask(air):
    return air - 273.15


def to_map_chunk_first(air):
    return air.chunk({"lat": 5, "lon": -1}).mean("time")


def to_map_computed(air):
    return air.mean("time").chunk({"lat": 5, "lon": -1}).compute()


def _area_mean_allreduce():
    def area_mean(pieces, blocks, comm, lat):
        totals = np.zeros(2)
        for piece, block in zip(pieces, blocks):
            weight = np.cos(np.radians(lat[piece.offset[0] : piece.offset[0] + piece.shape[0]]))
            totals += [(weight[:, None] * block).sum(), weight.sum() * block.shape[1]]
        totals = comm.allreduce(totals)
        return totals[0] / totals[1]

    return area_mean


def _area_mean_local():
    def area_mean(pieces, blocks, comm, lat):
        if not blocks:
            return 0.0
        rows = np.concatenate([lat[p.offset[0] : p.offset[0] + p.shape[0]] for p in pieces])
        weight = np.cos(np.radians(rows))
        values = np.vstack(blocks)
        return float((weight[:, None] * values).sum() / (weight.sum() * values.shape[1]))

    return area_mean


def _smooth_gathered_rows():
    def smooth(pieces, blocks, comm, sweeps):
        blocks = [np.array(b, dtype=float) for b in blocks]
        for _ in range(sweeps):
            rows = {}
            for part in comm.allgather(
                {p.offset[0]: b[0] for p, b in zip(pieces, blocks)}
                | {p.offset[0] + p.shape[0] - 1: b[-1] for p, b in zip(pieces, blocks)}
            ):
                rows.update(part)
            new_blocks = []
            for piece, block in zip(pieces, blocks):
                start, stop = piece.offset[0], piece.offset[0] + piece.shape[0]
                above, below = rows.get(start - 1), rows.get(stop)
                padded = np.vstack(
                    [block[:1] if above is None else above[None], block, block[-1:] if below is None else below[None]]
                )
                new = block.copy()
                new[:, 1:-1] = (padded[:-2, 1:-1] + padded[2:, 1:-1] + block[:, :-2] + block[:, 2:]) / 4
                if above is None:
                    new[0] = block[0]
                if below is None:
                    new[-1] = block[-1]
                new_blocks.append(new)
            blocks = new_blocks
        return blocks

    return smooth


def _smooth_isend_objects():
    """Neighbour messages as Python objects: lower-case isend, then a blocking recv per halo row."""

    def smooth(pieces, blocks, comm, sweeps):
        blocks = [np.array(b, dtype=float) for b in blocks]
        where = {}  # global row -> rank that holds it, from one gather of the placement
        for rank, offsets in enumerate(comm.allgather([(p.offset[0], p.shape[0]) for p in pieces])):
            for start, n in offsets:
                where.update({row: rank for row in range(start, start + n)})
        mine = [(p.offset[0], p.offset[0] + p.shape[0]) for p in pieces]
        for _ in range(sweeps):
            local = {}
            for (start, stop), b in zip(mine, blocks):
                local[start], local[stop - 1] = b[0], b[-1]
            sends = []
            for (start, stop), b in zip(mine, blocks):
                if where.get(start - 1, comm.rank) != comm.rank:
                    sends.append(comm.isend(b[0], dest=where[start - 1], tag=start))
                if where.get(stop, comm.rank) != comm.rank:
                    sends.append(comm.isend(b[-1], dest=where[stop], tag=stop - 1))
            halo = dict(local)
            for start, stop in mine:
                for row in (start - 1, stop):
                    if where.get(row, comm.rank) != comm.rank:
                        halo[row] = comm.recv(source=where[row], tag=row)
            for request in sends:
                request.wait()
            new_blocks = []
            for (start, stop), block in zip(mine, blocks):
                above, below = halo.get(start - 1), halo.get(stop)
                padded = np.vstack(
                    [block[:1] if above is None else above[None], block, block[-1:] if below is None else below[None]]
                )
                new = block.copy()
                new[:, 1:-1] = (padded[:-2, 1:-1] + padded[2:, 1:-1] + block[:, :-2] + block[:, 2:]) / 4
                if above is None:
                    new[0] = block[0]
                if below is None:
                    new[-1] = block[-1]
                new_blocks.append(new)
            blocks = new_blocks
        return blocks

    return smooth


def _smooth_gathered_once():
    """Gathers the whole map once before the sweeps, then smooths it with no halo messages at all."""

    def smooth(pieces, blocks, comm, sweeps):
        rows = {}
        for part in comm.allgather({p.offset[0]: np.asarray(b, dtype=float) for p, b in zip(pieces, blocks)}):
            rows.update(part)
        a = np.vstack([rows[start] for start in sorted(rows)])
        for _ in range(sweeps):
            new = a.copy()
            new[1:-1, 1:-1] = (a[:-2, 1:-1] + a[2:, 1:-1] + a[1:-1, :-2] + a[1:-1, 2:]) / 4
            a = new
        return [a[p.offset[0] : p.offset[0] + p.shape[0]] for p in pieces]

    return smooth


def _smooth_sendrecv_next_rank():
    """The classic 1-D halo, Sendrecv to rank +- 1: wrong when blocks are not in rank order.

    (``MPI``, like ``np``, is a global of the program the check pastes this source into.)
    """

    def smooth(pieces, blocks, comm, sweeps):
        up = comm.rank - 1 if comm.rank > 0 else MPI.PROC_NULL  # noqa: F821 (a global of the program this source is pasted into)
        down = comm.rank + 1 if comm.rank < comm.size - 1 else MPI.PROC_NULL  # noqa: F821
        a = np.vstack([np.asarray(b, dtype=float) for b in blocks]) if blocks else np.zeros((0, 7))
        a = np.vstack([np.zeros((1, 7)), a, np.zeros((1, 7))])
        first, last = np.zeros(7), np.zeros(7)
        for _ in range(sweeps):
            comm.Sendrecv(np.ascontiguousarray(a[1]), dest=up, recvbuf=last, source=down)
            comm.Sendrecv(np.ascontiguousarray(a[-2]), dest=down, recvbuf=first, source=up)
            a[0], a[-1] = first, last
            new = a.copy()
            new[1:-1, 1:-1] = (a[:-2, 1:-1] + a[2:, 1:-1] + a[1:-1, :-2] + a[1:-1, 2:]) / 4
            a = new
        out, row = [], 1
        for p in pieces:
            out.append(a[row : row + p.shape[0]])
            row += p.shape[0]
        return out

    return smooth


def _smooth_no_halo():
    def smooth(pieces, blocks, comm, sweeps):
        out = []
        for block in blocks:
            a = np.array(block, dtype=float)
            for _ in range(sweeps):
                new = a.copy()
                new[1:-1, 1:-1] = (a[:-2, 1:-1] + a[2:, 1:-1] + a[1:-1, :-2] + a[1:-1, 2:]) / 4
                a = new
            out.append(a)
        comm.Barrier()
        return out

    return smooth


def assemble_sorted(where, blocks, shape):
    parts = sorted((p.offset[0], b) for address in where for p, b in zip(where[address], blocks[address]))
    return np.concatenate([b for _, b in parts]).reshape(shape)


def assemble_in_worker_order(where, blocks, shape):
    return np.concatenate([b for address in where for b in blocks[address]]).reshape(shape)


right(L, "q1", "xr.where", lambda c: (clean_with_xr_where, c.raw))
wrong(L, "q1", "no mask", lambda c: (clean_no_mask, c.raw), "the -9999 fill values are still there")
right(L, "q2", "rechunk first, then the mean", lambda c: (to_map_chunk_first, c.raw))
wrong(L, "q2", "computed", lambda c: (to_map_computed, c.raw), "that is already computed")
right(L, "q3", "lower-case allreduce of a NumPy pair", lambda c: (_area_mean_allreduce(),))
wrong(L, "q3", "each rank's own mean", lambda c: (_area_mean_local(),), "but expected")
wrong(
    L,
    "q4",
    "first and last rows allgathered on every sweep",
    lambda c: (_smooth_gathered_rows(),),
    "inside a loop",
    fast=True,
)
right(L, "q4", "owner map per row, then isend and recv of Python objects", lambda c: (_smooth_isend_objects(),))
wrong(
    L,
    "q4",
    "whole map gathered once, no halo messages",
    lambda c: (_smooth_gathered_once(),),
    "sends no point-to-point message",
)
wrong(L, "q4", "Sendrecv to rank +- 1", lambda c: (_smooth_sendrecv_next_rank(),), "which may live on another rank")
wrong(
    L,
    "q4",
    "every block smoothed alone",
    lambda c: (_smooth_no_halo(),),
    "right inside but wrong in its first or last row",
)
right(L, "q5", "sorted by offset", lambda c: (assemble_sorted,), fast=True)
wrong(
    L, "q5", "in worker order", lambda c: (assemble_in_worker_order,), "the blocks are in the wrong places", fast=True
)


# =========================================================================== 04b diagnostics and memory
# (after 12: its cluster of small workers becomes the default client, so no later lesson computes on it)

L = "04b-dask-diagnostics-memory"
THRESHOLD_NAMES = ("target", "spill", "pause", "terminate")


def _limit4b(c):
    return next(iter(c.client4b.scheduler_info()["workers"].values()))["memory_limit"]


def _thresholds(c, scale=1.0, swap=False):
    import dask
    import distributed  # noqa: F401  (its defaults join dask.config on import)

    fractions = dict(dask.config.get("distributed.worker.memory"))
    if swap:
        fractions["spill"], fractions["pause"] = fractions["pause"], fractions["spill"]
    return {name: fractions[name] * _limit4b(c) * scale for name in THRESHOLD_NAMES}


def _thresholds_from_workers(c):
    def fractions(dask_worker):
        m = dask_worker.memory_manager
        return m.memory_limit, m.memory_target_fraction, m.memory_spill_fraction, m.memory_pause_fraction

    limit, target, spill, pause = next(iter(c.client4b.run(fractions).values()))
    return {
        "target": int(limit * target),
        "spill": int(limit * spill),
        "pause": int(limit * pause),
        "terminate": int(limit * 0.95),
    }


right(L, "q1", "config fractions x the scheduler's limit", lambda c: (_thresholds(c), c.client4b))
right(L, "q1", "whole bytes from the workers' own settings", lambda c: (_thresholds_from_workers(c), c.client4b))
wrong(
    L,
    "q1",
    "the fractions themselves",
    lambda c: ({name: v / _limit4b(c) for name, v in _thresholds(c).items()}, c.client4b),
    "holds fractions",
)
wrong(L, "q1", "the whole cluster's memory", lambda c: (_thresholds(c, scale=2), c.client4b), "the whole cluster's")
wrong(
    L,
    "q1",
    "600 MiB typed as 600 MB",
    lambda c: (_thresholds(c, scale=1e6 / 2**20), c.client4b),
    "counts a MiB as 1,000,000 bytes",
)
wrong(L, "q1", "spill and pause swapped", lambda c: (_thresholds(c, swap=True), c.client4b), "is the pause threshold")
wrong(
    L,
    "q1",
    "objects equal to everything",
    lambda c: ({name: AlwaysEqual() for name in THRESHOLD_NAMES}, c.client4b),
    "should be a number",
)


def _tasks_in(path):
    import re

    return int(re.search(r"number of tasks: (\d+)", path.read_text()).group(1))


def _tasks_by_unescaping(path):
    import html

    text = html.unescape(path.read_text())
    return int(text.split("number of tasks:")[1].split("<")[0])


right(
    L,
    "q2",
    "inline report, tasks read with a regex",
    lambda c: (c.report4b("inline"), _tasks_in(c.report4b("inline")), c.bad4b),
)
right(
    L,
    "q2",
    "path as a string, tasks read after unescaping",
    lambda c: (str(c.report4b("inline")), _tasks_by_unescaping(c.report4b("inline")), c.bad4b),
)
wrong(
    L,
    "q2",
    "default mode: Bokeh from the internet",
    lambda c: (c.report4b("cdn", mode=None), _tasks_in(c.report4b("cdn", mode=None)), c.bad4b),
    "loads its JavaScript from cdn.bokeh.org",
)
wrong(
    L,
    "q2",
    "one task per chunk",
    lambda c: (c.report4b("inline"), c.bad4b.npartitions, c.bad4b),
    "the sum adds a tree of tasks",
)
wrong(
    L,
    "q2",
    "graph built inside the block, computed after it",
    lambda c: (c.report4b("empty", compute=False), 0, c.bad4b),
    "compute bad.sum() inside",
)
wrong(
    L,
    "q2",
    "a file that was never written",
    lambda c: (c.tmp("reports") / "missing.html", 117, c.bad4b),
    "there is no file",
)


def _arange(chunks, start=0):
    import dask.array as da

    return da.arange(start, start + 2_000_000, chunks=chunks)


def _from_numpy():
    import dask.array as da

    return da.from_array(np.arange(2_000_000), chunks=500_000)


right(L, "q3", "4 chunks of 500,000", lambda c: (_arange(500_000), c.bad4b, c.client4b))
right(L, "q3", "8 chunks of 250,000", lambda c: (_arange(250_000), c.bad4b, c.client4b))
wrong(L, "q3", "one huge chunk", lambda c: (_arange(-1), c.bad4b, c.client4b), "1 chunk for 2 worker threads")
wrong(L, "q3", "rechunk of bad", lambda c: (c.bad4b.rechunk(500_000), c.bad4b, c.client4b), "is built from `bad`")
wrong(L, "q3", "computed", lambda c: (_arange(500_000).compute(), c.bad4b, c.client4b), "is a NumPy array")
wrong(
    L,
    "q3",
    "NumPy made in the notebook, then wrapped",
    lambda c: (_from_numpy(), c.bad4b, c.client4b),
    "wraps a NumPy array",
)
wrong(L, "q3", "still 20 chunks", lambda c: (_arange(100_000), c.bad4b, c.client4b), "still has 20 chunks")
wrong(
    L, "q3", "shifted by one", lambda c: (_arange(500_000, start=1), c.bad4b, c.client4b), "must hold the same values"
)


def run_guarded(client, func, *args):
    from distributed import KilledWorker

    n_workers = len(client.scheduler_info()["workers"])
    try:
        return client.submit(func, *args, pure=False).result()
    except KilledWorker:
        client.wait_for_workers(n_workers)
        return None


def run_guarded_delayed(client, func, *args):
    import dask
    import distributed

    expected = len(client.nthreads())
    try:
        return client.compute(dask.delayed(func, pure=False)(*args)).result()
    except distributed.KilledWorker:
        client.wait_for_workers(n_workers=expected)
    return None


def run_guarded_memory_error(client, func, *args):
    try:
        return client.submit(func, *args, pure=False).result()
    except MemoryError:
        return None


def run_guarded_catches_everything(client, func, *args):
    n_workers = len(client.scheduler_info()["workers"])
    try:
        return client.submit(func, *args, pure=False).result()
    except Exception:
        client.wait_for_workers(n_workers)
        return None


def run_guarded_no_wait(client, func, *args):
    from distributed import KilledWorker

    try:
        return client.submit(func, *args, pure=False).result()
    except KilledWorker:
        return None


def run_guarded_future(client, func, *args):
    return client.submit(func, *args, pure=False)


right(L, "q4", "submit, catch KilledWorker, wait for the workers", lambda c: (run_guarded, c.client4b))
right(L, "q4", "compute a delayed, distributed.KilledWorker", lambda c: (run_guarded_delayed, c.client4b))
wrong(
    L, "q4", "except MemoryError", lambda c: (run_guarded_memory_error, c.client4b), "KilledWorker reached the caller"
)
wrong(L, "q4", "except Exception", lambda c: (run_guarded_catches_everything, c.client4b), "catch only KilledWorker")
wrong(
    L,
    "q4",
    "returns before the new worker joined",
    lambda c: (run_guarded_no_wait, c.client4b),
    "Wait for it (client.wait_for_workers(n))",
)
wrong(L, "q4", "the future, not its result", lambda c: (run_guarded_future, c.client4b), "should be a whole number")


# =========================================================================== the tests


def _param(case: Case):
    kind = "right" if case.right else "wrong"
    marks = () if case.fast else (pytest.mark.slow,)
    return pytest.param(case, id=f"{case.lesson.split('-')[0]}-{case.qid}-{kind}-{case.label}", marks=marks)


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    context = Context(tmp_path_factory)
    yield context
    context.close()


def test_every_question_of_every_lesson_has_a_wrong_and_a_right_answer():
    missing = []
    for lesson, module in LESSONS.items():
        for question in questions_of(module):
            kinds = Counter(case.right for case in CASES if case.lesson == lesson and case.qid == question.id)
            if not kinds[True] or not kinds[False]:
                missing.append(f"{lesson} {question.id}: {kinds[False]} wrong, {kinds[True]} right")
    assert not missing, "\n".join(missing)
    assert {case.lesson for case in CASES} <= set(LESSONS)


@pytest.mark.parametrize("case", [_param(case) for case in CASES])
def test_check_verdict(case, ctx, capsys):
    import importlib

    module = importlib.import_module(LESSONS[case.lesson])
    capsys.readouterr()
    getattr(module, f"check_{case.qid}")(*case.answer(ctx))
    out = capsys.readouterr().out.strip().splitlines()
    line = next((line for line in out if line[:1] in "✅❌⏳" and f" {case.qid} " in line), "\n".join(out))
    if case.right:
        assert line.startswith(f"✅ {case.qid} "), line
    else:
        assert line.startswith(f"❌ {case.qid} "), line
        assert case.hint in line, f"expected the hint {case.hint!r} in: {line}"


# =========================================================================== the shared helper


@pytest.mark.parametrize(
    "value, kind, expected",
    [
        (np.int64(3), int, 3),
        (3.0, int, 3),
        (np.array(2.5), float, 2.5),
        (np.array([7]), int, 7),
        (np.bool_(True), bool, True),
        (1, bool, True),
        (np.str_("MPICH"), str, "MPICH"),
        (np.arange(3), list, [0, 1, 2]),
        ((1, 2), set, {1, 2}),
    ],
)
def test_plain_converts_numbers_strings_and_arrays(value, kind, expected):
    from hpclab.checks import plain

    got = plain(value, kind, "x", of=int if kind in (list, set) else None)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize(
    "value, kind",
    [
        (AlwaysEqual(), int),
        (AlwaysEqual(), float),
        (AlwaysEqual(), str),
        (AlwaysEqual(), bool),
        (True, int),
        (2.5, int),
        ("3", int),
        (None, float),
        ([1, 2], float),
        (np.array(["a"]), np.ndarray),
        ({"a": 1}, list),
    ],
)
def test_plain_refuses_anything_else_with_a_hint(value, kind):
    from hpclab.checks import Wrong, plain

    with pytest.raises(Wrong, match="`x` should be"):
        plain(value, kind, "x")


def test_plain_converts_inside_containers():
    from hpclab.checks import Wrong, plain

    assert plain({"a": np.float32(1.5)}, dict, "d", of=float) == {"a": 1.5}
    with pytest.raises(Wrong, match=r"`d\['a'\]` should be a number"):
        plain({"a": AlwaysEqual()}, dict, "d", of=float)
    with pytest.raises(Wrong, match="an item of `xs` should be a whole number"):
        plain([1, AlwaysEqual()], list, "xs", of=int)


def test_a_function_still_blank_is_not_attempted(capsys):
    from hpclab.checks import futures

    def first_primes(client, numbers, how_many=5):
        # YOUR CODE HERE
        raise NotImplementedError()

    futures.check_q4(first_primes, None, [])
    assert capsys.readouterr().out.startswith("⏳ q4")
