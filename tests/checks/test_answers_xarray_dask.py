"""Lesson 06-xarray-dask's checks (hpclab.checks.xarray_dask): chunks, climatology, anomalies,
apply_ufunc, anomalies that keep their chunks, a Zarr checkpoint.

Every question against a wrong answer and an alternative right one: tests/support/answers.py
says how the table works.
"""

from __future__ import annotations

import functools
import sys

import cloudpickle
import numpy as np
import pytest

from tests.support import answers
from tests.support.answers import Answers

cloudpickle.register_pickle_by_value(sys.modules[__name__])

ANSWERS = Answers("06-xarray-dask")
right, wrong = ANSWERS.right, ANSWERS.wrong


class Inputs(answers.Inputs):
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


right("q1", "chunk() after opening, 10 x 10", lambda c: (c.ds["air"].chunk({"time": -1, "lat": 10, "lon": 10}),))
wrong("q1", "time in pieces", lambda c: (_open({"time": 100, "lat": 25, "lon": 25}),), "use 'time': -1")
wrong("q1", "opened without chunks", lambda c: (c.ds["air"],), "holds NumPy data")
right("q2", "grouped by the month coordinate", lambda c: (c.air.groupby(c.air.time.dt.month).mean("time"), c.ds6))
wrong("q2", "by season", lambda c: (c.air.groupby("time.season").mean("time"), c.ds6), "expected 12 months")
right(
    "q3",
    "climatology computed inline",
    lambda c: (c.air.groupby("time.month") - c.air.groupby("time.month").mean("time"), c.ds6),
)
wrong(
    "q3",
    "minus the yearly mean",
    lambda c: (c.air - c.air.mean("time"), c.ds6),
    "air minus the mean of the same calendar month",
)
wrong(
    "q3",
    "computed",
    lambda c: (c.ds6["air"].groupby("time.month") - c.ds6["air"].groupby("time.month").mean("time"), c.ds6),
    "keep it lazy",
)
wrong(
    "q3",
    "computed, then chunked again",
    lambda c: (
        (c.ds6["air"].groupby("time.month") - c.ds6["air"].groupby("time.month").mean("time")).chunk({"lat": 5}),
        c.ds6,
    ),
    "was computed first and then chunked again",
)
right("q4", "run lengths from np.diff", lambda c: _frost(c, longest_run_numpy))
wrong(
    "q4",
    "counts every frozen step",
    lambda c: _frost(c, longest_run_total),
    "longest_run([False, True, True, False, True]) returned 3, expected 2",
)


def block_anomaly(block):
    """The anomalies of one block that holds whole time series (for map_blocks)."""
    by_month = block.groupby("time.month")
    return (by_month - by_month.mean("time")).drop_vars("month")


def _anom_fast(c, how="map_blocks"):
    clim = c.air.groupby("time.month").mean("time")
    if how == "map_blocks":
        return c.air.map_blocks(block_anomaly, template=c.air), c.air
    if how == "grouped, lazy clim":
        return c.air.groupby("time.month") - clim, c.air
    if how == "sel":
        return c.air - clim.compute().sel(month=c.air["time.month"]), c.air
    if how == "grouped":
        return c.air.groupby("time.month") - clim.compute(), c.air
    if how == "grouped-rechunked":
        return (c.air.groupby("time.month") - clim.compute()).chunk({"time": -1, "lat": 5, "lon": 6}), c.air
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


right("q5", "groupby arithmetic with the climatology left lazy (flox)", lambda c: _anom_fast(c, "grouped, lazy clim"))
right("q5", "map_blocks over whole time series", lambda c: _anom_fast(c, "map_blocks"))
wrong(
    "q5", "the grouped subtraction of a computed climatology", lambda c: _anom_fast(c, "grouped"), "one per time step"
)
wrong("q5", "clim.sel of a computed climatology", lambda c: _anom_fast(c, "sel"), "as large as air")
wrong(
    "q5",
    "grouped, then rechunked",
    lambda c: _anom_fast(c, "grouped-rechunked"),
    "rechunking after a grouped subtraction",
)
wrong("q5", "computed", lambda c: _anom_fast(c, "computed"), "already computed")
wrong("q5", "minus the yearly mean", lambda c: _anom_fast(c, "yearly"), "values of `anom_fast` differ")
right("q6", "to_zarr, then open_zarr (consolidated)", lambda c: _checkpoint(c, "open_zarr"))
right("q6", "open_dataset with engine='zarr'", lambda c: _checkpoint(c, "open_dataset"))
wrong("q6", "written, but the lazy anomaly kept", lambda c: _checkpoint(c, "not reopened"), "not read back")
wrong("q6", "reopened and loaded", lambda c: _checkpoint(c, "loaded"), "holds NumPy data")
wrong("q6", "a netCDF file instead", lambda c: _checkpoint(c, "netcdf"), "no Zarr store")


# =========================================================================== the tests


def test_every_question_has_a_wrong_and_a_right_answer():
    assert not ANSWERS.missing(), "\n".join(ANSWERS.missing())


@pytest.mark.parametrize("case", ANSWERS.params())
def test_check_verdict(case, ctx, capsys):
    ANSWERS.assert_verdict(case, ctx, capsys)
