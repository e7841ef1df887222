"""The course's datasets, made from seeded generators: which files each has, and how each file is made.

Compute nodes often have no internet, so every dataset a lesson uses comes from
a seeded generator: the same seed gives the same bytes on every machine with
the same library versions. Each dataset comes in two sizes, ``small`` (tests,
a second or two each) and ``full`` (the workshop). Bump a :class:`Dataset`'s
``version`` when its generator changes, so old copies are made again.
"""

from __future__ import annotations

import difflib
import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hpclab.data.errors import DataError
from hpclab.data.paths import data_size

SEED = 20_240_601

# Column types of the readings CSV files; lesson 04 shows what goes wrong without them.
READINGS_DTYPES = {
    "station": "string",
    "temperature": "float64",
    "humidity": "float64",
    "wind": "float64",
    "flag": "Int64",
}


@dataclass(frozen=True)
class Dataset:
    """One generated dataset: which files it has at a size, and how to write one of them."""

    name: str
    description: str
    version: int  # bump when the generator changes, so old copies are made again
    filenames: Callable[[str], list[str]]
    write: Callable[[Path, int, str, int], None]  # (path, file index, size, seed)


_READINGS_SHAPE = {"small": (6, 12, "10min"), "full": (31, 20, "1min")}  # days, stations, interval
_NEW_STATION_DAY = 3  # from this day on a station with a text id ("A7") reports too
_OUTAGE_DAY = 4  # on this day one station is offline for a while: empty cells


def _readings_names(size: str) -> list[str]:
    import pandas as pd  # noqa: PLC0415  heavy: the CLI and the grader import hpclab.data, mostly for paths

    days, _, _ = _READINGS_SHAPE[size]
    return [f"{day:%Y-%m-%d}.csv" for day in pd.date_range("2024-04-01", periods=days, freq="D")]


def _write_readings(path: Path, index: int, size: str, seed: int) -> None:
    """One day of weather-station readings; later days break naive type inference on purpose."""
    import numpy as np  # noqa: PLC0415  heavy: the CLI and the grader import hpclab.data, mostly for paths
    import pandas as pd  # noqa: PLC0415  heavy: the CLI and the grader import hpclab.data, mostly for paths

    days, n_stations, interval = _READINGS_SHAPE[size]
    rng = np.random.default_rng([seed, 1, index])
    station_rng = np.random.default_rng([seed, 1])  # the same stations every day
    ids = [str(101 + k) for k in range(n_stations)]
    if index >= _NEW_STATION_DAY:
        ids.append("A7")
    offset = station_rng.normal(0, 2.5, n_stations + 1)[: len(ids)]  # site climate, °C
    day = pd.Timestamp("2024-04-01") + pd.Timedelta(days=index)
    times = pd.date_range(day, day + pd.Timedelta(days=1), freq=interval, inclusive="left")
    hours = (times.hour + times.minute / 60).to_numpy()
    days = index + hours / 24  # since the first day: smooth weather across midnight
    weather = (11 + 2.0 * np.sin(days / 2.3) + 1.2 * np.sin(days / 0.9 + 1.0))[:, None]  # °C, all stations
    daily = 5 * np.cos(2 * np.pi * (hours - 15) / 24)[:, None]  # warmest mid-afternoon
    temperature = weather + daily + offset[None, :] + rng.normal(0, 0.4, (len(times), len(ids)))
    humidity = np.clip(70 - 2.5 * (temperature - weather) + rng.normal(0, 4, temperature.shape), 5, 100)
    wind = np.abs(rng.normal(3, 1.8, temperature.shape))
    flag = rng.choice([0, 1, 2], p=[0.97, 0.025, 0.005], size=temperature.shape)
    frame = pd.DataFrame(
        {
            "time": np.repeat(times.strftime("%Y-%m-%d %H:%M:%S"), len(ids)),
            "station": np.tile(ids, len(times)),
            "temperature": temperature.ravel().round(2),
            "humidity": humidity.ravel().round(1),
            "wind": wind.ravel().round(2),
            "flag": flag.ravel().astype(object),
        }
    )
    if index == _OUTAGE_DAY:  # station 103 offline from 09:00 to 13:00: no values at all
        out = (frame["station"] == "103") & frame["time"].str[11:13].isin(["09", "10", "11", "12"])
        frame.loc[out, ["temperature", "humidity", "wind", "flag"]] = None
    frame.to_csv(path, index=False, lineterminator="\n")


_PEOPLE_SHAPE = {"small": (4, 500), "full": (16, 10_000)}  # files, records per file


def _people_names(size: str) -> list[str]:
    files, _ = _PEOPLE_SHAPE[size]
    return [f"people-{k:03d}.jsonl" for k in range(files)]


def _write_people(path: Path, index: int, size: str, seed: int) -> None:
    """Fake people (mimesis, seeded), one JSON record per line."""
    from mimesis import Generic, Locale  # noqa: PLC0415  heavy: the CLI and the grader import hpclab.data, mostly for paths

    _, per_file = _PEOPLE_SHAPE[size]
    fake = Generic(locale=Locale.EN, seed=seed * 1000 + index)
    rng = random.Random(f"{seed}-people-{index}")
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for k in range(per_file):
            record = {
                "id": index * per_file + k,
                "name": [fake.person.first_name(), fake.person.last_name()],
                "age": 18 + int(rng.betavariate(2.0, 3.0) * 80),
                "occupation": fake.person.occupation(),
                "email": fake.person.email(),
                "telephone": fake.person.telephone(),
                "address": {
                    "street": fake.address.address(),
                    "city": fake.address.city(),
                    "state": fake.address.state(),
                },
                "languages": sorted({fake.person.language() for _ in range(rng.choice([1, 1, 1, 2, 2, 3]))}),
            }
            out.write(json.dumps(record) + "\n")


_AIR_YEARS = {"small": 1, "full": 2}  # full has the NCEP sample's 2920 time steps


def air_temperature_field(times, lat, lon, seed: int = SEED):
    """Plausible 6-hourly near-surface air temperature (K) on a (time, lat, lon) grid.

    A warm-south, cold-north gradient; a seasonal cycle that grows towards the
    pole and over the continent; a daily cycle peaking mid-afternoon local
    time; and travelling weather systems (eastward-moving waves with random,
    slowly varying amplitudes) plus a little small-scale noise.
    """
    import numpy as np  # noqa: PLC0415  heavy: the CLI and the grader import hpclab.data, mostly for paths
    import pandas as pd  # noqa: PLC0415  heavy: the CLI and the grader import hpclab.data, mostly for paths

    rng = np.random.default_rng([seed, 3])
    times = pd.DatetimeIndex(times)
    lat = np.asarray(lat, dtype=float)[None, :, None]
    lon = np.asarray(lon, dtype=float)[None, None, :]
    north = np.clip((lat - 15) / 60, 0, 1)  # 0 in the tropics, 1 at 75 N
    land = np.exp(-(((lat - 50) / 18) ** 2) - ((lon - 255) / 30) ** 2)  # North America, roughly
    day_of_year = (times.day_of_year.to_numpy() + times.hour.to_numpy() / 24)[:, None, None]
    hours = np.asarray((times - times[0]) / pd.Timedelta(hours=1), dtype=float)[:, None, None]

    mean = 299.0 - 38.0 * north**1.4 - 4.0 * land * north
    seasonal = -(1.5 + 14.0 * north) * (0.6 + 0.8 * land) * np.cos(2 * np.pi * (day_of_year - 20) / 365.25)
    local_hour = (times.hour.to_numpy()[:, None, None] + (lon - 360) / 15) % 24
    daily = (0.4 + 4.0 * land) * np.cos(2 * np.pi * (local_hour - 15) / 24)

    weather = np.zeros((len(times), lat.shape[1], lon.shape[2]))
    n_waves = 12
    for _ in range(n_waves):
        wavenumber = rng.integers(3, 9)  # waves around the globe
        speed = rng.uniform(5, 12)  # degrees of longitude per day, eastwards
        centre, width = rng.uniform(30, 65), rng.uniform(10, 20)
        amplitude = np.empty(len(times))  # slowly varying strength: AR(1), about 4 days memory
        amplitude[0] = rng.normal()
        shocks = rng.normal(size=len(times)) * math.sqrt(1 - 0.94**2)
        for t in range(1, len(times)):
            amplitude[t] = 0.94 * amplitude[t - 1] + shocks[t]
        phase = np.radians(wavenumber * (lon - speed * hours / 24)) + rng.uniform(0, 2 * np.pi)
        weather += amplitude[:, None, None] * np.cos(phase) * np.exp(-(((lat - centre) / width) ** 2))
    weather *= (1.0 + 5.0 * north) / math.sqrt(n_waves / 4)
    noise = rng.normal(0, 0.5, weather.shape)
    return np.round(mean + seasonal + daily + weather + noise, 2).astype("float32")


def _air_names(size: str) -> list[str]:
    return ["air_temperature.nc"]


def make_air_temperature(size: str | None = None, seed: int = SEED):
    """The generated air-temperature Dataset, in memory: NCEP sample's grid, CF metadata."""
    import numpy as np  # noqa: PLC0415  heavy: the CLI and the grader import hpclab.data, mostly for paths
    import pandas as pd  # noqa: PLC0415  heavy: the CLI and the grader import hpclab.data, mostly for paths
    import xarray as xr  # noqa: PLC0415  heavy: the CLI and the grader import hpclab.data, mostly for paths

    size = data_size(size)
    times = pd.date_range("2013-01-01", periods=_AIR_YEARS[size] * 365 * 4, freq="6h")
    lat = np.arange(75.0, 14.9, -2.5, dtype="float32")
    lon = np.arange(200.0, 330.1, 2.5, dtype="float32")
    air = air_temperature_field(times, lat, lon, seed)
    ds = xr.Dataset(
        {"air": (("time", "lat", "lon"), air)},
        coords={"time": times, "lat": lat, "lon": lon},
        attrs={
            "Conventions": "CF-1.8",
            "title": "4x daily near-surface air temperature, synthetic (grid of the NCEP reanalysis sample)",
            "institution": "hpclab course",
            "source": f"hpclab.data generator, seed {seed}: latitude gradient, seasonal and daily cycles, "
            "travelling weather systems and noise; not observations",
            "comment": "Same dimensions, grid and variable as the NCEP/NCAR reanalysis subset used in "
            "xarray's tutorial ('air_temperature'), made offline",
        },
    )
    ds["air"].attrs = {
        "standard_name": "air_temperature",
        "long_name": "4xDaily Air temperature at sigma level 995",
        "units": "K",
        "var_desc": "Air temperature",
        "level_desc": "Surface",
        "statistic": "Individual Obs",
        "precision": np.int16(2),
        "actual_range": np.array([air.min(), air.max()], dtype="float32"),
    }
    ds["lat"].attrs = {"standard_name": "latitude", "long_name": "Latitude", "units": "degrees_north", "axis": "Y"}
    ds["lon"].attrs = {"standard_name": "longitude", "long_name": "Longitude", "units": "degrees_east", "axis": "X"}
    ds["time"].attrs = {"standard_name": "time", "long_name": "Time", "axis": "T"}
    ds["time"].encoding = {"units": "hours since 1800-01-01", "calendar": "standard", "dtype": "float64"}
    for name in ("lat", "lon", "time", "air"):
        ds[name].encoding["_FillValue"] = None
    return ds


def _write_air(path: Path, index: int, size: str, seed: int) -> None:
    make_air_temperature(size, seed).to_netcdf(path, engine="h5netcdf")


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            "readings",
            "weather-station readings, one CSV file per day (lesson 04)",
            1,
            _readings_names,
            _write_readings,
        ),
        Dataset("people", "fake people records as JSON lines (lesson 05)", 1, _people_names, _write_people),
        Dataset(
            "air_temperature",
            "6-hourly air temperature on the NCEP sample grid, netCDF (lesson 06)",
            1,
            _air_names,
            _write_air,
        ),
    )
}


def dataset(name: str) -> Dataset:
    """The description of one dataset; DataError naming the known ones if there is no such dataset."""
    if name in DATASETS:
        return DATASETS[name]
    close = difflib.get_close_matches(name, DATASETS, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise DataError(f"Unknown dataset {name!r}.{hint} Known datasets: {', '.join(sorted(DATASETS))}.")
