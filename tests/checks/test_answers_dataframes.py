"""Lesson 04-dask-dataframes' checks (hpclab.checks.dataframes): filters, groupby, read_csv, Parquet,
map_partitions, repartition and partitioned Parquet.

Every question against a wrong answer and an alternative right one: tests/support/answers.py
says how the table works.
"""

from __future__ import annotations

import functools
import sys

import cloudpickle
import pytest

from tests.support import answers
from tests.support.answers import Answers

cloudpickle.register_pickle_by_value(sys.modules[__name__])

ANSWERS = Answers("04-dask-dataframes")
right, wrong = ANSWERS.right, ANSWERS.wrong


class Inputs(answers.Inputs):
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


right("q1", "len of the filtered frame", lambda c: (len(c.df4[(c.df4.name == "Alice") & (c.df4.x > 0.5)]), c.df4))
wrong(
    "q1",
    "or instead of and",
    lambda c: (int(((c.df4.name == "Alice") | (c.df4.x > 0.5)).sum().compute()), c.df4),
    "Combine the two conditions with &",
)
wrong(
    "q1",
    "left lazy",
    lambda c: (((c.df4.name == "Alice") & (c.df4.x > 0.5)).sum(), c.df4),
    "still a lazy Dask object",
)
right("q2", "agg('std') on a .loc filter", lambda c: (c.df4.loc[c.df4.x > 0].groupby("name").y.agg("std"), c.df4))
wrong("q2", "no filter", lambda c: (c.df4.groupby("name").y.std(), c.df4), "filter first")
wrong(
    "q2",
    "computed",
    lambda c: (c.df4[c.df4.x > 0].groupby("name").y.std().compute(), c.df4),
    "should be a lazy Dask Series",
)
wrong("q2", "computed in pandas, wrapped again", lambda c: (_pandas_spread(c), c.df4), "is not computed from `df`")
right("q3", "flag as float64", _readings_floats)
wrong("q3", "flag left to guess", _readings_without_flag_type, "cannot hold the empty cells")
wrong("q3", "only the first file", _readings_one_file, "read all of them with one glob pattern")
right("q4", "read everything, then select the columns", lambda c: _back(c, "select"))
wrong("q4", "columns of the CSV frame, not read back", lambda c: _back(c, "csv"), "not read from the Parquet files")
wrong("q4", "every column read back", lambda c: _back(c, "all"), "read only")
right("q5", "agg with a lambda", lambda c: (daily_range_agg, c.readings.map_partitions(daily_range_agg), c.csv_folder))
wrong(
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


right("q6", "partition_size in bytes", lambda c: (c.rare4.repartition(partition_size=1_000_000), c.rare4), fast=True)
wrong(
    "q6",
    "a number of partitions instead of a size",
    lambda c: (c.rare4.repartition(npartitions=1), c.rare4),
    "asks for a size",
    fast=True,
)
wrong("q6", "not repartitioned", lambda c: (c.rare4, c.rare4), "is not repartitioned", fast=True)
wrong(
    "q6",
    "computed",
    lambda c: (c.rare4.repartition(partition_size="1MB").compute(), c.rare4),
    "should be a lazy Dask DataFrame",
    fast=True,
)
wrong(
    "q6",
    "a size smaller than a partition",
    lambda c: (c.rare4.repartition(partition_size="1kB"), c.rare4),
    "larger than a partition",
    fast=True,
)
right("q7", "filters with 'in'", lambda c: _a7(c, "in"), fast=True)
right("q7", "filters as a list of lists", lambda c: _a7(c, "or-list"), fast=True)
wrong("q7", "every file read, filtered afterwards", lambda c: _a7(c, "late"), "filters afterwards", fast=True)
right("q7", "the station=A7 folder read by itself (pyarrow adds station back)", lambda c: _a7(c, "folder"), fast=True)
wrong(
    "q7",
    "filters, but the station column left out",
    lambda c: _a7(c, "no-column"),
    "has no station column",
    fast=True,
)
wrong("q7", "another station", lambda c: _a7(c, "other"), "the station=A7 folder has", fast=True)
wrong("q7", "written without partition_on", lambda c: _a7(c, "unpartitioned"), "no station=... folders", fast=True)


# =========================================================================== the tests


def test_every_question_has_a_wrong_and_a_right_answer():
    assert not ANSWERS.missing(), "\n".join(ANSWERS.missing())


@pytest.mark.parametrize("case", ANSWERS.params())
def test_check_verdict(case, ctx, capsys):
    ANSWERS.assert_verdict(case, ctx, capsys)
