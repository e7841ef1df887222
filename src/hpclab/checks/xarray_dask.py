"""Checks for lesson 06-xarray-dask: chunked opening, climatology, anomalies, apply_ufunc,
anomalies without a chunk explosion, and a Zarr checkpoint."""

from __future__ import annotations

import functools
from pathlib import Path

import dask.array
import numpy as np
import xarray as xr

from hpclab.checks import Question, Wrong, check, plain, require

LESSON = "06-xarray-dask"
Q1 = Question(LESSON, "q1", "chunks that keep each time series whole", points=1, level=1)
Q2 = Question(LESSON, "q2", "a monthly climatology", points=2, level=2)
Q3 = Question(LESSON, "q3", "lazy anomalies", points=2, level=2)
Q4 = Question(LESSON, "q4", "longest frost spell with apply_ufunc", points=3, level=3)
Q5 = Question(LESSON, "q5", "lazy anomalies without a chunk explosion", points=2, level=2)
Q6 = Question(LESSON, "q6", "a Zarr checkpoint, reopened lazily", points=2, level=2)
QUESTIONS = [Q1, Q2, Q3, Q4, Q5, Q6]

FREEZING = 273.15  # K


def longest_true_run(mask: np.ndarray) -> np.ndarray:
    """Length of the longest run of True along the last axis (the reference, vectorised)."""
    mask = np.asarray(mask, dtype=bool)
    steps = np.arange(mask.shape[-1])
    last_false = np.maximum.accumulate(np.where(mask, -1, steps), axis=-1)
    return (steps - last_false).max(axis=-1, initial=0)


def _is_lazy(da) -> bool:
    return isinstance(getattr(da, "data", None), dask.array.Array)


def _require_dask_computes(da, name: str) -> None:
    """Wrong when ``da``'s graph only holds data (computed, then chunked again): no step left for Dask."""
    sources = ("xarray-", "original-", "open_dataset", "array-")
    if all(str(layer).startswith(sources) for layer in da.data.__dask_graph__().layers):
        raise Wrong(
            f"`{name}` was computed first and then chunked again: there is nothing left for Dask to do. "
            "Build it from the chunked `air` so the computation itself runs block by block"
        )


def _dataarray(obj, name: str):
    if not isinstance(obj, xr.DataArray):
        raise Wrong(f"`{name}` is a {type(obj).__name__}; it should be an xarray DataArray")
    return obj


@check(Q1)
def check_q1(air) -> str:
    """Check ``air``: the air temperature opened with chunks that keep every time series whole.

    ``air`` must be backed by Dask, with all of time in one chunk and at most 25 x 25 grid points per chunk.

    Parameters
    ----------
    air : xarray.DataArray
        The ``air`` variable of ``hpclab.data.air_temperature(chunks=...)``.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(air, "air")
    air = _dataarray(air, "air")
    if not _is_lazy(air):
        raise Wrong("`air` holds NumPy data: open the dataset with chunks=... so it is backed by Dask")
    chunks = dict(zip(air.dims, air.chunks))
    if set(chunks) != {"time", "lat", "lon"}:
        raise Wrong(f"`air` has dimensions {air.dims}; take the 'air' variable of the dataset")
    if len(chunks["time"]) != 1:
        raise Wrong(f"time is split into {len(chunks['time'])} chunks; use 'time': -1 to keep each series whole")
    if max(chunks["lat"]) > 25 or max(chunks["lon"]) > 25:
        raise Wrong(f"chunks are {max(chunks['lat'])} x {max(chunks['lon'])} grid points; at most 25 x 25")
    return f"{air.data.npartitions} chunks of up to {air.data.chunksize} values"


@check(Q2)
def check_q2(clim, ds) -> str:
    """Check ``clim``: the mean of ``air`` for each calendar month.

    Compared with the mean over all years of each month, on dimensions month (12), lat and lon.

    Parameters
    ----------
    clim : xarray.DataArray
        Your climatology, with dimensions ``month``, ``lat`` and ``lon``.
    ds : xarray.Dataset
        The lesson's air-temperature dataset, holding ``air``.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(clim, "clim")
    clim = _dataarray(clim, "clim")
    if set(clim.dims) != {"month", "lat", "lon"} or clim.sizes.get("month") != 12:
        raise Wrong(
            f"`clim` has sizes {dict(clim.sizes)}; expected 12 months x lat x lon: "
            "group by 'time.month' and take the mean over time"
        )
    expected = ds["air"].load().groupby("time.month").mean("time")
    got = clim.transpose("month", "lat", "lon").compute()
    if not np.allclose(got.values, expected.values, atol=1e-3):
        raise Wrong("the values differ from the mean of each calendar month over all years")
    july, january = expected.sel(month=7), expected.sel(month=1)
    return f"12 months; July is on average {float((july - january).mean()):.1f} K warmer than January"


@check(Q3)
def check_q3(anom, ds) -> str:
    """Check ``anom``: ``air`` minus the climatology of each time step's calendar month, kept lazy.

    ``anom`` must be backed by Dask, be computed by Dask (not computed first and chunked again), have the sizes of
    ``air``, and match the anomalies the check computes with NumPy.

    Parameters
    ----------
    anom : xarray.DataArray
        Your anomalies, not computed.
    ds : xarray.Dataset
        The lesson's air-temperature dataset, holding ``air``.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(anom, "anom")
    anom = _dataarray(anom, "anom")
    if not _is_lazy(anom):
        raise Wrong("`anom` is already computed (NumPy): keep it lazy, Dask computes it when needed")
    _require_dask_computes(anom, "anom")
    if dict(anom.sizes) != dict(ds["air"].sizes):
        raise Wrong(
            f"`anom` has sizes {dict(anom.sizes)}; it should have the same shape as air: "
            "subtract the climatology month by month, air.groupby('time.month') - clim"
        )
    air = ds["air"].load()
    expected = air.groupby("time.month") - air.groupby("time.month").mean("time")
    got = anom.transpose(*expected.dims).compute()
    if not np.allclose(got.values, expected.values, atol=1e-3):
        raise Wrong("the values differ from air minus the mean of the same calendar month")
    return f"mean anomaly {float(got.mean()):+.1e} K (zero by construction), spread {float(got.std()):.1f} K"


@check(Q4)
def check_q4(longest_run, frost_spell, ds) -> str:
    """Check ``longest_run`` and ``frost_spell``: the longest frost spell at every grid point, with ``apply_ufunc``.

    First calls ``longest_run`` on a few short series, then checks that ``frost_spell`` is lazy, computed by Dask
    over lat and lon with time consumed as the core dimension, and equal to the longest run of steps with air below
    273.15 K.

    Parameters
    ----------
    longest_run : callable
        Your function: ``longest_run(frozen) -> int``, the length of the longest run of True in a 1-d boolean NumPy
        array.
    frost_spell : xarray.DataArray
        Your result, with dimensions ``lat`` and ``lon``, not computed.
    ds : xarray.Dataset
        The lesson's air-temperature dataset, holding ``air``.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(frost_spell, "frost_spell")
    cases = [
        ([False, True, True, False, True], 2),
        ([False] * 4, 0),
        ([True] * 5, 5),
        ([], 0),
        ([True, False, True, True, True], 3),
    ]
    for series, longest in cases:
        got = longest_run(np.array(series, dtype=bool))
        if got is None:
            raise Wrong(f"longest_run({series}) returned None: end it with `return ...`")
        got = plain(got, int, f"longest_run({series})")
        if got != longest:
            raise Wrong(f"longest_run({series}) returned {got!r}, expected {longest}")
    frost_spell = _dataarray(frost_spell, "frost_spell")
    if not _is_lazy(frost_spell):
        raise Wrong(
            "`frost_spell` is already computed: build it with xr.apply_ufunc(..., dask='parallelized') "
            "and let the check compute it"
        )
    _require_dask_computes(frost_spell, "frost_spell")
    if set(frost_spell.dims) != {"lat", "lon"}:
        raise Wrong(
            f"`frost_spell` has dimensions {frost_spell.dims}; time is the core dimension that "
            "longest_run consumes: input_core_dims=[['time']]"
        )
    below = (ds["air"].load() < FREEZING).transpose("lat", "lon", "time")
    expected = longest_true_run(below.values)
    got = frost_spell.transpose("lat", "lon").compute().values
    if not np.array_equal(got, expected):
        raise Wrong("the values differ from the longest run of consecutive steps with air < 273.15 K")
    days = expected.max() / 4
    return f"the longest frost spell lasted {days:.1f} days; {int((expected == 0).sum())} grid points never froze"


def _reference_anomaly(ds):
    air = ds["air"].compute()  # a copy: .load() would turn the learner's own array into NumPy
    return air.groupby("time.month") - air.groupby("time.month").mean("time")


def _same_anomaly(got, ds, name: str) -> float:
    expected = _reference_anomaly(ds)
    values = got.transpose(*expected.dims).compute()
    if dict(values.sizes) != dict(expected.sizes) or not np.allclose(values.values, expected.values, atol=1e-3):
        raise Wrong(f"the values of `{name}` differ from air minus the mean of the same calendar month")
    return float(values.std())


def graph_bytes(da) -> int:
    """The bytes of NumPy data a lazy DataArray's task graph carries with it (each array counted once).

    Data read from a file is not in the graph (only the recipe to read it); a NumPy array the graph was built
    from is, and travels with every submission of the graph.
    """
    seen: set[int] = set()
    total = 0
    stack: list[object] = list(dict(da.data.__dask_graph__()).values())
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, np.ndarray):
            total += item.nbytes
        elif type(item).__name__ == "DataNode":  # dask's graph nodes (dask._task_spec), read by their fields
            stack.append(getattr(item, "value", None))
        elif isinstance(args := getattr(item, "args", None), tuple) and isinstance(
            kwargs := getattr(item, "kwargs", None), dict
        ):
            stack.extend(args)  # a Task: its function's arguments
            stack.extend(kwargs.values())
        elif isinstance(item, functools.partial):
            stack.extend(item.args)
            stack.extend(item.keywords.values())
        elif isinstance(item, (tuple, list)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return total


@check(Q5)
def check_q5(anom_fast, air) -> str:
    """Check ``anom_fast``: lazy anomalies, without a chunk per time step and without an air-sized array in the graph.

    ``anom_fast`` must be lazy; its chunks must hold many time steps (not one each), it must not have a task per
    time step left over from a rechunked explosion, and its graph must not carry a NumPy array as large as
    ``air`` (what ``clim.sel(month=air.time.dt.month)`` of a *computed* climatology puts there). Its values must
    be ``air`` minus the mean of the same calendar month.

    Parameters
    ----------
    anom_fast : xarray.DataArray
        Your anomalies, not computed.
    air : xarray.DataArray
        The chunked ``air`` of Q1.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(anom_fast, "anom_fast")
    anom_fast = _dataarray(anom_fast, "anom_fast")
    require(air, "air")
    if not _is_lazy(anom_fast):
        raise Wrong("`anom_fast` is already computed (NumPy): keep it lazy, Dask computes it when needed")
    _require_dask_computes(anom_fast, "anom_fast")
    if dict(anom_fast.sizes) != dict(air.sizes):
        raise Wrong(
            f"`anom_fast` has sizes {dict(anom_fast.sizes)}, `air` {dict(air.sizes)}: "
            "the anomalies have one value per value of air"
        )
    steps = air.sizes["time"]
    time_chunks = anom_fast.chunksizes["time"]
    if steps > 1 and float(np.median(time_chunks)) == 1:
        raise Wrong(
            f"`anom_fast` has {anom_fast.data.npartitions:,} chunks, one per time step: a grouped subtraction of a "
            "*computed* climatology chunks it one month at a time and picks a month per time step. Keep the "
            "climatology lazy, or compute the anomalies block by block (air.map_blocks)"
        )
    n, m = anom_fast.data.npartitions, air.data.npartitions
    tasks = len(anom_fast.data.__dask_graph__())
    if tasks > 2 * steps * m:
        raise Wrong(
            f"`anom_fast` has {n:,} chunks but {tasks:,} tasks, more than two per time step and block: rechunking "
            "after a grouped subtraction keeps all of its small tasks. Avoid the explosion in the first place"
        )
    own, base = graph_bytes(anom_fast), graph_bytes(air)
    if own - base > air.nbytes / 4:
        raise Wrong(
            f"the graph of `anom_fast` carries {(own - base) / 1e6:.1f} MB of data (air is {air.nbytes / 1e6:.1f} MB): "
            "clim.sel(month=air.time.dt.month) of a computed climatology is a NumPy array as large as air, "
            "sent with the graph (lesson 03). Keep it lazy: leave clim uncomputed, or use air.map_blocks"
        )
    spread = _same_anomaly(anom_fast, _as_dataset(air), "anom_fast")
    return f"{n} chunks ({m} in air), {tasks} tasks, nothing large in the graph; anomaly spread {spread:.1f} K"


def _as_dataset(air):
    return air.to_dataset(name="air")


@check(Q6)
def check_q6(checkpoint, zarr_path, air) -> str:
    """Check ``checkpoint``: the anomalies written to a Zarr store and reopened lazily.

    There must be a Zarr store at ``zarr_path``, and ``checkpoint`` must be backed by Dask and read straight from
    the store (its graph only opens data), with the sizes of ``air`` and the anomalies' values.

    Parameters
    ----------
    checkpoint : xarray.DataArray
        The anomalies, reopened from the Zarr store.
    zarr_path : str or pathlib.Path
        Where you wrote the Zarr store.
    air : xarray.DataArray
        The chunked ``air`` of Q1.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(checkpoint, "checkpoint")
    store = Path(zarr_path)
    if not ((store / "zarr.json").exists() or (store / ".zgroup").exists()):
        raise Wrong(
            f"there is no Zarr store at {store}: write it with "
            'anom_fast.to_dataset(name="anomaly").to_zarr(zarr_path, mode="w")'
        )
    checkpoint = _dataarray(checkpoint, "checkpoint")
    if not _is_lazy(checkpoint):
        raise Wrong(
            "`checkpoint` holds NumPy data: xr.open_zarr(zarr_path) reopens the store lazily; "
            "leave out .load() / .compute()"
        )
    layers = [str(layer) for layer in checkpoint.data.__dask_graph__().layers]
    if not all(layer.startswith(("original-open_dataset", "open_dataset")) for layer in layers):
        raise Wrong(
            "`checkpoint` is not read back from the store: its graph still computes the anomaly. "
            'Reopen it with xr.open_zarr(zarr_path)["anomaly"]'
        )
    if dict(checkpoint.sizes) != dict(air.sizes):
        raise Wrong(f"`checkpoint` has sizes {dict(checkpoint.sizes)}; expected those of air, {dict(air.sizes)}")
    spread = _same_anomaly(checkpoint, _as_dataset(air), "checkpoint")
    chunks = checkpoint.data.npartitions
    return f"{chunks} chunks read back from {store.name}; anomaly spread {spread:.1f} K"
