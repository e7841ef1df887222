"""Checks for lesson 04-dask-dataframes: filters, groupby, read_csv dtypes, Parquet, map_partitions,
partition sizes and Parquet partitioned by a column."""

from __future__ import annotations

from pathlib import Path

import dask
import dask.dataframe as dd
import pandas as pd
from dask import is_dask_collection

from hpclab.checks import Question, Wrong, check, plain, require
from hpclab.data import READINGS_DTYPES

LESSON = "04-dask-dataframes"
Q1 = Question(LESSON, "q1", "count rows that match a filter", points=1, level=1)
Q2 = Question(LESSON, "q2", "a lazy groupby standard deviation", points=2, level=2)
Q3 = Question(LESSON, "q3", "read_csv over a glob with explicit dtypes", points=2, level=2)
Q4 = Question(LESSON, "q4", "a Parquet round trip with only the columns you need", points=2, level=2)
Q5 = Question(LESSON, "q5", "a per-day summary with map_partitions", points=3, level=3)
Q6 = Question(LESSON, "q6", "fewer, fuller partitions with repartition(partition_size=...)", points=1, level=1)
Q7 = Question(LESSON, "q7", "Parquet partitioned by station, read back through filters=", points=2, level=2)
QUESTIONS = [Q1, Q2, Q3, Q4, Q5, Q6, Q7]


def _csv_files(folder) -> list[Path]:
    files = sorted(Path(folder).glob("*.csv"))
    if not files:
        raise Wrong(f"no CSV files in {folder}: run the set-up cell at the top again")
    return files


def _read_days(folder):
    """Each CSV file as a pandas DataFrame, read with the right types (the reference)."""
    return [pd.read_csv(f, dtype=READINGS_DTYPES, parse_dates=["time"]) for f in _csv_files(folder)]


@check(Q1)
def check_q1(n_rows, df) -> str:
    """Check ``n_rows``: the number of rows of ``df`` with name "Alice" and x > 0.5.

    Parameters
    ----------
    n_rows : int
        Your count, computed (not a lazy Dask object).
    df : dask.dataframe.DataFrame
        The lesson's DataFrame, with ``name``, ``x`` and ``y`` columns.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(n_rows, "n_rows")
    if is_dask_collection(n_rows):
        raise Wrong("`n_rows` is still a lazy Dask object: ask for the number with .compute()")
    frame = df.compute()
    expected = int(((frame["name"] == "Alice") & (frame["x"] > 0.5)).sum())
    n_rows = plain(n_rows, int, "n_rows")
    if n_rows != expected:
        raise Wrong(
            f"you counted {n_rows!r}; there are {expected} rows with name 'Alice' and x > 0.5. "
            "Combine the two conditions with & (and brackets around each)"
        )
    return f"{expected:,} rows"


@check(Q2)
def check_q2(spread, df) -> str:
    """Check ``spread``: the standard deviation of ``y`` per ``name`` over the rows with x > 0, kept lazy.

    It must be a Dask Series built from ``df`` itself (not computed and wrapped again); the check computes it and
    compares it with pandas.

    Parameters
    ----------
    spread : dask.dataframe.Series
        Your lazy result, one value per name.
    df : dask.dataframe.DataFrame
        The lesson's DataFrame, with ``name``, ``x`` and ``y`` columns.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(spread, "spread")
    if not isinstance(spread, dd.Series):
        raise Wrong(
            f"`spread` is a {type(spread).__name__}; it should be a lazy Dask Series "
            "(leave out .compute(): the check computes it)"
        )
    if not any(node._name == df.expr._name for node in spread.expr.walk()):
        raise Wrong(
            "`spread` is not computed from `df`: build it lazily from df itself (filter, groupby, std) "
            "instead of computing the numbers and wrapping them in a new Dask Series"
        )
    frame = df.compute()
    expected = frame[frame["x"] > 0].groupby("name")["y"].std()
    got = spread.compute()
    if sorted(got.index) != sorted(expected.index):
        raise Wrong("`spread` should have one value per name: group by 'name'")
    difference = (got.sort_index() - expected.sort_index()).abs().max()
    if not difference < 1e-9:
        raise Wrong(
            "the values differ from the standard deviation of y over rows with x > 0, per name: "
            "filter first, then groupby('name').y.std()"
        )
    return f"{len(expected)} names, computed only when asked"


@check(Q3)
def check_q3(readings, csv_folder) -> str:
    """Check ``readings``: every CSV file of ``csv_folder`` read into one Dask DataFrame with the right column types.

    Looks for one partition per file, ``time`` as datetime64, ``station`` as text, a ``flag`` type that can hold
    empty cells, and every row of the files.

    Parameters
    ----------
    readings : dask.dataframe.DataFrame
        Your DataFrame, read with ``dask.dataframe.read_csv``.
    csv_folder : str or pathlib.Path
        The folder of the lesson's CSV files, one day per file; the check reads them with pandas for the expected
        answer.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(readings, "readings")
    if not isinstance(readings, dd.DataFrame):
        raise Wrong(f"`readings` is a {type(readings).__name__}; make it with dask.dataframe.read_csv")
    files = _csv_files(csv_folder)
    if readings.npartitions != len(files):
        raise Wrong(
            f"`readings` has {readings.npartitions} partitions for {len(files)} files: "
            "read all of them with one glob pattern, e.g. str(csv_folder / '*.csv')"
        )
    types = readings.dtypes
    if not pd.api.types.is_datetime64_any_dtype(types.get("time")):
        raise Wrong("the time column should be datetime64: add parse_dates=['time']")
    if not pd.api.types.is_string_dtype(types.get("station")):
        raise Wrong(
            f"station is {types.get('station')}; some stations have letters in their id, so it must be "
            "text: dtype={'station': 'string', ...}"
        )
    flag = types.get("flag")
    if not (pd.api.types.is_float_dtype(flag) or isinstance(flag, pd.Int64Dtype)):
        raise Wrong(f"flag is {flag}, which cannot hold the empty cells of one day: use 'Int64' (or 'float64')")
    try:
        rows = len(readings)
    except ValueError as exc:
        raise Wrong(f"reading every file fails: {str(exc).splitlines()[0]}") from None
    expected = sum(len(day) for day in _read_days(csv_folder))
    if rows != expected:
        raise Wrong(f"{rows} rows, expected {expected}")
    return f"{rows:,} rows from {len(files)} files, each column with the right type"


@check(Q4)
def check_q4(back, parquet_dir, csv_folder) -> str:
    """Check the Parquet round trip: files in ``parquet_dir``, read back into ``back`` with only the columns needed.

    ``back`` must be read from the Parquet files with exactly the columns ``time``, ``station`` and ``temperature``,
    in that order, and hold as many rows as the CSV files.

    Parameters
    ----------
    back : dask.dataframe.DataFrame
        Your DataFrame, read with ``dask.dataframe.read_parquet``.
    parquet_dir : str or pathlib.Path
        The folder you wrote the Parquet files into.
    csv_folder : str or pathlib.Path
        The folder of the lesson's CSV files.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(back, "back")
    written = sorted(Path(parquet_dir).glob("*.parquet"))
    if not written:
        raise Wrong(f"no .parquet files in {parquet_dir}: write them with readings.to_parquet(parquet_dir)")
    if not isinstance(back, dd.DataFrame):
        raise Wrong(f"`back` is a {type(back).__name__}; read it with dask.dataframe.read_parquet")
    sources = {type(node).__name__ for node in back.expr.walk()}
    if not any("ReadParquet" in source for source in sources):
        raise Wrong("`back` is not read from the Parquet files: make it with dd.read_parquet(parquet_dir, columns=...)")
    wanted = ["time", "station", "temperature"]
    if list(back.columns) != wanted:
        raise Wrong(f"`back` has columns {list(back.columns)}; read only {wanted} (the columns= argument)")
    expected = sum(len(day) for day in _read_days(csv_folder))
    if len(back) != expected:
        raise Wrong(f"{len(back)} rows came back, {expected} were in the CSV files")
    return f"{len(written)} Parquet files; {len(wanted)} columns read back"


@check(Q5)
def check_q5(daily_range, ranges, csv_folder) -> str:
    """Check ``daily_range`` and ``ranges``: the temperature range per station and day, with ``map_partitions``.

    First calls ``daily_range`` on a small pandas DataFrame, then checks that ``ranges`` is a lazy Dask Series made
    with ``map_partitions``, with one partition per day file and max minus min of the temperature per station and
    day.

    Parameters
    ----------
    daily_range : callable
        Your function: ``daily_range(part) -> pandas.Series``, for a pandas DataFrame with ``station`` and
        ``temperature`` columns the range of temperature per station.
    ranges : dask.dataframe.Series
        ``daily_range`` applied to every partition of ``readings``, not computed.
    csv_folder : str or pathlib.Path
        The folder of the lesson's CSV files.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(ranges, "ranges")
    sample = pd.DataFrame(
        {"station": pd.array(["a", "a", "b", "a"], dtype="string"), "temperature": [1.0, 4.5, 2.0, 3.0]}
    )
    try:
        got = daily_range(sample)
    except NotImplementedError:
        raise
    except Exception as exc:
        raise Wrong(f"daily_range raised {type(exc).__name__}: {exc}") from None
    if not isinstance(got, pd.Series) or dict(got) != {"a": 3.5, "b": 0.0}:
        shown = got.to_dict() if isinstance(got, pd.Series) else repr(got)
        raise Wrong(
            f"daily_range on stations a,a,b,a with temperatures 1, 4.5, 2, 3 returned {shown}; "
            "expected a pandas Series a -> 3.5, b -> 0.0 (max minus min per station)"
        )
    if not isinstance(ranges, dd.Series):
        raise Wrong(
            f"`ranges` is a {type(ranges).__name__}; make it with readings.map_partitions(daily_range), "
            "without .compute()"
        )
    if not any(type(node).__name__ == "MapPartitions" for node in ranges.expr.walk()):
        raise Wrong(
            "`ranges` is not made with map_partitions: apply daily_range to every partition (one day "
            "file each) with readings.map_partitions(daily_range)"
        )
    days = _read_days(csv_folder)
    if ranges.npartitions != len(days):
        raise Wrong(f"`ranges` has {ranges.npartitions} partitions; one per day file ({len(days)}) is expected")
    expected = pd.concat(d.groupby("station")["temperature"].agg(lambda t: t.max() - t.min()) for d in days)
    computed = ranges.compute()
    if sorted(zip(computed.index, computed.round(6))) != sorted(zip(expected.index, expected.round(6))):
        raise Wrong("the computed ranges differ from max - min of temperature per station and day")
    widest = expected.idxmax()
    return f"{len(expected)} station-days; the widest daily range was {expected.max():.1f} °C at station {widest}"


def _nodes(frame) -> list:
    return list(frame.expr.walk())


@check(Q6)
def check_q6(compact, rare) -> str:
    """Check ``compact``: ``rare`` repartitioned by size into fewer, fuller partitions, every row kept.

    ``compact`` must be a lazy DataFrame made from ``rare`` with ``repartition(partition_size=...)`` (a size, not a
    number of partitions), with fewer partitions than ``rare`` and the same rows.

    Parameters
    ----------
    compact : dask.dataframe.DataFrame
        Your repartitioned DataFrame, not computed.
    rare : dask.dataframe.DataFrame
        The lesson's sparse DataFrame: one small partition per day.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(compact, "compact")
    if not isinstance(compact, dd.DataFrame):
        raise Wrong(
            f"`compact` is a {type(compact).__name__}; it should be a lazy Dask DataFrame (leave out .compute())"
        )
    if not any(node._name == rare.expr._name for node in _nodes(compact)):
        raise Wrong("`compact` is not made from `rare`: call rare.repartition(partition_size=...)")
    sizes = [node.operand("partition_size") for node in _nodes(compact) if type(node).__name__ == "Repartition"]
    if not sizes:
        raise Wrong('`compact` is not repartitioned: use rare.repartition(partition_size="1MB")')
    if all(size is None for size in sizes):
        raise Wrong(
            "you gave the number of partitions; the question asks for a size: "
            'repartition(partition_size="1MB") lets Dask measure the partitions and combine them'
        )
    # Threads, not a distributed client: finding the sizes under a client can hang on Python 3.11
    # (dask/distributed#9101), and the learner's session may have one.
    with dask.config.set(scheduler="threads"):
        n_compact = compact.npartitions
        expected = rare.compute()
        got = compact.compute()
    if n_compact >= rare.npartitions:
        raise Wrong(
            f"`compact` has {n_compact} partitions, as many as `rare` ({rare.npartitions}): "
            "choose a partition_size larger than a partition of `rare` (about 1 MB)"
        )
    if len(got) != len(expected) or not abs(float(got["x"].sum()) - float(expected["x"].sum())) < 1e-6:
        raise Wrong(f"`compact` holds {len(got)} rows, `rare` {len(expected)}: repartition must keep every row")
    return f"{rare.npartitions} nearly empty partitions became {n_compact}, with all {len(got):,} rows"


@check(Q7)
def check_q7(a7, station_dir, csv_folder) -> str:
    """Check ``a7``: the rows of station A7, read back from Parquet partitioned by station.

    ``station_dir`` must hold one ``station=...`` folder per station, and ``a7`` must be a lazy read of it that
    opens only the A7 folder (``filters=`` in ``read_parquet``), keeps the ``station`` column and holds exactly A7's
    rows.

    Parameters
    ----------
    a7 : dask.dataframe.DataFrame
        Your DataFrame, read lazily with ``dask.dataframe.read_parquet``.
    station_dir : str or pathlib.Path
        The folder you wrote ``readings`` into, partitioned on ``station``.
    csv_folder : str or pathlib.Path
        The folder of the lesson's CSV files.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(a7, "a7")
    folders = sorted(p.name for p in Path(station_dir).glob("station=*") if p.is_dir())
    if not folders:
        raise Wrong(
            f"no station=... folders in {station_dir}: write readings with "
            'to_parquet(station_dir, partition_on=["station"])'
        )
    if not isinstance(a7, dd.DataFrame):
        raise Wrong(f"`a7` is a {type(a7).__name__}; read it lazily with dd.read_parquet(station_dir, filters=...)")
    reads = [node for node in _nodes(a7) if "ReadParquet" in type(node).__name__]
    if not reads:
        raise Wrong("`a7` is not read from the Parquet files: make it with dd.read_parquet(station_dir, filters=...)")
    if "station" not in a7.columns:
        raise Wrong(
            "`a7` has no station column: read the whole dataset (station_dir) with "
            'filters=[("station", "==", "A7")], or select no columns away'
        )
    in_folder = len(list(Path(station_dir, "station=A7").glob("*.parquet")))
    if a7.npartitions != in_folder and not all(node.operand("filters") for node in reads):
        raise Wrong(
            f"`a7` reads all {a7.npartitions} files and filters afterwards: pass "
            'filters=[("station", "==", "A7")] to read_parquet so only the A7 folder is opened'
        )
    if a7.npartitions != in_folder:
        raise Wrong(
            f'`a7` reads {a7.npartitions} files; the station=A7 folder has {in_folder}: filter on station == "A7" only'
        )
    got = a7.compute()
    expected = sum(int((day["station"] == "A7").sum()) for day in _read_days(csv_folder))
    if set(got["station"].astype(str)) != {"A7"} or len(got) != expected:
        raise Wrong(
            f"`a7` holds {len(got)} rows of stations {sorted(set(got['station'].astype(str)))}; "
            f"expected the {expected} rows of station A7"
        )
    return f"{len(folders)} station folders written; {len(got)} rows of A7 read from {in_folder} of them"
