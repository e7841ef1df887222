"""The course's datasets, made on this machine: nothing needs the internet.

Compute nodes often have no internet, so every dataset a lesson uses comes from
a seeded generator: the same seed gives the same bytes on every machine with
the same library versions. Each dataset comes in two sizes, ``small`` (tests,
a second or two each) and ``full`` (the workshop). Lessons ask for a dataset
and get it made on first use::

    folder = hpclab.data.path("readings")          # CSV files, one per day
    ds = hpclab.data.air_temperature(chunks={"time": -1})

``hpclab data prepare`` makes everything ahead of time (on a login node, before
a batch job) and writes ``manifest.json`` with a sha256 checksum per file; a
file that no longer matches its checksum is reported, never silently used.

Where the data live: ``HPCLAB_DATA`` (default: ``data/`` in the course root),
one folder per size. Which size: the argument, else ``HPCLAB_DATA_SIZE``, else
``full``.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import math
import os
import random
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from hpclab import config
from hpclab.errors import HpclabError

DATA_ENV = config.DATA
SIZE_ENV = config.DATA_SIZE
AIR_SOURCE_ENV = config.AIR_SOURCE
SIZES = ("small", "full")
DEFAULT_SIZE = "full"
SEED = 20_240_601
MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1

# The real NCEP sample that xarray's tutorial downloads, with the checksum its
# publisher lists beside it (air_temperature.nc.md5 in the same repository).
NCEP_URL = "https://github.com/pydata/xarray-data/raw/master/air_temperature.nc"
NCEP_HASH = "md5:de5b9d45db48cf6b7034de1a4a6d6c98"

# Column types of the readings CSV files; lesson 04 shows what goes wrong without them.
READINGS_DTYPES = {
    "station": "string",
    "temperature": "float64",
    "humidity": "float64",
    "wind": "float64",
    "flag": "Int64",
}


class DataError(HpclabError, ValueError):
    """A dataset cannot be made, found or trusted; the message says what to do."""


class OfflineFallback(UserWarning):
    """The real dataset could not be downloaded, so the generated one is used."""


# --------------------------------------------------------------------------- where and which size


def course_root(start: str | os.PathLike | None = None) -> Path:
    """The folder holding ``solutions/`` and ``notebooks/`` above ``start`` (default: cwd), else ``start``."""
    here = Path.cwd() if start is None else Path(start)
    here = here.resolve()
    for folder in (here, *here.parents):
        if (folder / "solutions").is_dir() and (folder / "notebooks").is_dir():
            return folder
    return here


def data_root(root: str | os.PathLike | None = None) -> Path:
    """The data folder: ``root``, else ``HPCLAB_DATA``, else ``data/`` in the course root."""
    chosen = root if root is not None else os.environ.get(DATA_ENV) or None
    if chosen is None:
        return course_root() / "data"
    path = Path(chosen).expanduser()
    if root is None and not path.is_absolute():
        # Kernels run in notebooks/, the CLI in the course root: a relative
        # HPCLAB_DATA would point at two places. Read it from the course root.
        path = course_root() / path
    return path.resolve()


def data_size(size: str | None = None) -> str:
    """The dataset size to use: ``size``, else ``HPCLAB_DATA_SIZE``, else ``full``."""
    from_env = size is None
    chosen = (os.environ.get(SIZE_ENV) or DEFAULT_SIZE) if from_env else size
    chosen = chosen.strip().lower()
    if chosen not in SIZES:
        where = f" (from {SIZE_ENV})" if from_env else ""
        raise DataError(f"Unknown data size {chosen!r}{where}: use 'small' (quick tests) or 'full' (the workshop).")
    return chosen


SCRATCH_ENV = config.SCRATCH


def scratch_dir(root: str | os.PathLike | None = None) -> Path:
    """A folder for files lessons write (Parquet copies, filtered records).

    ``HPCLAB_SCRATCH`` wins (the grader gives every notebook its own, so
    notebooks graded side by side never overwrite each other's files); else
    ``scratch/`` beside the data.
    """
    own = os.environ.get(SCRATCH_ENV) if root is None else None
    folder = Path(own).expanduser().resolve() if own else data_root(root) / "scratch"
    _ensure_writable(folder)
    return folder


# --------------------------------------------------------------------------- generators


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
    import pandas as pd

    days, _, _ = _READINGS_SHAPE[size]
    return [f"{day:%Y-%m-%d}.csv" for day in pd.date_range("2024-04-01", periods=days, freq="D")]


def _write_readings(path: Path, index: int, size: str, seed: int) -> None:
    """One day of weather-station readings; later days break naive type inference on purpose."""
    import numpy as np
    import pandas as pd

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
    from mimesis import Generic, Locale

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
    import numpy as np
    import pandas as pd

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
    import numpy as np
    import pandas as pd
    import xarray as xr

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


# --------------------------------------------------------------------------- manifest and checksums


def sha256(path: str | os.PathLike) -> str:
    """Hex sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(folder: str | os.PathLike) -> dict:
    """The manifest of one size folder (empty if there is none yet)."""
    path = Path(folder) / MANIFEST
    if not path.exists():
        return {"format": MANIFEST_FORMAT, "datasets": {}}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(manifest.get("datasets"), dict):
            raise ValueError("no 'datasets' table")
    except ValueError as exc:
        raise DataError(
            f"{path} is not a valid manifest ({exc}). Delete it and run "
            f"`hpclab data prepare --size {Path(folder).name} --force` to make the data again."
        ) from None
    return manifest


def _write_manifest(folder: Path, manifest: dict) -> None:
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    with tempfile.NamedTemporaryFile("w", dir=folder, prefix=".manifest-", delete=False, encoding="utf-8") as tmp:
        tmp.write(text)
    # Readable like the data files (a temporary file is 0600): a shared data folder, or the grader's
    # sandbox running as another uid, must be able to read it.
    os.chmod(tmp.name, 0o644)
    os.replace(tmp.name, folder / MANIFEST)  # readers never see half a manifest


def _entry_is_current(folder: Path, entry: dict | None, spec: Dataset, size: str, seed: int) -> bool:
    """True if the manifest lists this generator's files and they are all there (not yet checksummed)."""
    if not entry or entry.get("version") != spec.version or entry.get("seed") != seed:
        return False
    files = sorted(entry.get("files", {}))
    expected = sorted(f"{spec.name}/{f}" for f in spec.filenames(size))
    return files == expected and all((folder / f).is_file() for f in files)


def verify(name: str, *, size: str | None = None, root: str | os.PathLike | None = None) -> Path:
    """Check every file of a prepared dataset against the manifest; return its folder.

    Raises DataError naming the first file that is missing or whose sha256
    differs from the one recorded when it was made.
    """
    dataset(name)  # raises DataError, with the known names, for an unknown one
    size = data_size(size)
    folder = data_root(root) / size
    entry = read_manifest(folder)["datasets"].get(name)
    if not entry:
        raise DataError(f"{name} ({size}) is not prepared in {folder}: run `hpclab data prepare --size {size}`.")
    for relative, expected in sorted(entry["files"].items()):
        path = folder / relative
        if not path.is_file():
            raise DataError(f"{path} is missing. Run `hpclab data prepare --size {size}` to make it again.")
        actual = sha256(path)
        if actual != expected["sha256"]:
            raise DataError(
                f"{path} does not match the manifest (sha256 {actual[:12]}… instead of "
                f"{expected['sha256'][:12]}…): it was changed or damaged after it was made. "
                f"Make it again with `hpclab data prepare --size {size} --force` "
                f"(or delete {folder / name} and rerun the lesson)."
            )
    return folder / name


# --------------------------------------------------------------------------- making data


def _ensure_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise DataError(
            f"Cannot write to the data folder {folder} ({reason}). Set {DATA_ENV} to a folder you can "
            "write to, or pass --dir to `hpclab data prepare`."
        ) from None


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Let one process at a time make data in ``folder`` (others wait, then find it made)."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; concurrent runs are unlikely there
        yield
        return
    with open(folder / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _forget(folder: Path, name: str) -> None:
    """Before remaking a dataset: drop its manifest entry and leftovers of interrupted runs.

    If this run is interrupted too, the next one then makes the dataset again
    instead of reporting the half-replaced files as damaged.
    """
    manifest = read_manifest(folder)
    if manifest["datasets"].pop(name, None) is not None:
        _write_manifest(folder, manifest)
    for leftover in folder.glob(f".{name}-*"):  # staging folders; we hold the lock, so none is in use
        shutil.rmtree(leftover, ignore_errors=True)


def _make(spec: Dataset, folder: Path, size: str, seed: int, bar) -> dict:
    """Write all files of one dataset next to ``folder`` and move them into place in one step."""
    staging = Path(tempfile.mkdtemp(prefix=f".{spec.name}-", dir=folder))
    try:
        files = {}
        for index, filename in enumerate(spec.filenames(size)):
            bar.set_postfix_str(f"{spec.name}/{filename}")
            spec.write(staging / filename, index, size, seed)
            files[f"{spec.name}/{filename}"] = {
                "sha256": sha256(staging / filename),
                "bytes": (staging / filename).stat().st_size,
            }
            bar.update(1)
        target = folder / spec.name
        if target.exists():
            shutil.rmtree(target)
        os.chmod(staging, 0o755)  # mkdtemp makes it 0700: others (a team, the grader's sandbox) read it too
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return {"version": spec.version, "seed": seed, "description": spec.description, "files": files}


@dataclass(frozen=True)
class Prepared:
    """What ``prepare`` did for one dataset."""

    name: str
    folder: Path
    files: int
    bytes: int
    seconds: float
    made: bool  # False: it was already there and matched the manifest


def prepare(
    names: list[str] | tuple[str, ...] | None = None,
    *,
    size: str | None = None,
    root: str | os.PathLike | None = None,
    seed: int = SEED,
    force: bool = False,
    progress: bool = False,
) -> list[Prepared]:
    """Make the named datasets (default: all) that are missing; verify the ones that exist.

    Existing files are checked against the manifest: a damaged file raises
    DataError unless ``force`` (then everything named is made again).
    """
    from tqdm import tqdm

    specs = [dataset(n) for n in (names or sorted(DATASETS))]
    size = data_size(size)
    folder = data_root(root) / size
    results: list[Prepared] = []

    def done(spec: Dataset, seconds: float, made: bool) -> None:
        entry = read_manifest(folder)["datasets"][spec.name]
        results.append(
            Prepared(
                spec.name,
                folder / spec.name,
                len(entry["files"]),
                sum(f["bytes"] for f in entry["files"].values()),
                seconds,
                made,
            )
        )

    todo = []
    for spec in specs:  # fast path, no writing: a read-only shared folder is fine
        entry = read_manifest(folder)["datasets"].get(spec.name) if folder.is_dir() else None
        if not force and _entry_is_current(folder, entry, spec, size, seed):
            verify(spec.name, size=size, root=folder.parent)
            done(spec, 0.0, made=False)
        else:
            todo.append(spec)
    if not todo:
        return results

    _ensure_writable(folder)
    total = sum(len(s.filenames(size)) for s in todo)
    with (
        _locked(folder),
        tqdm(total=total, desc=f"hpclab data ({size})", unit="file", disable=not progress, file=sys.stderr) as bar,
    ):
        for spec in todo:
            entry = read_manifest(folder)["datasets"].get(spec.name)
            if not force and _entry_is_current(folder, entry, spec, size, seed):  # another process made it meanwhile
                bar.update(len(spec.filenames(size)))
                verify(spec.name, size=size, root=folder.parent)
                done(spec, 0.0, made=False)
                continue
            start = time.perf_counter()
            _forget(folder, spec.name)
            entry = _make(spec, folder, size, seed, bar)
            manifest = read_manifest(folder)
            manifest.update(format=MANIFEST_FORMAT, size=size)
            manifest["datasets"][spec.name] = entry
            _write_manifest(folder, manifest)
            done(spec, time.perf_counter() - start, made=True)
    order = [s.name for s in specs]
    return sorted(results, key=lambda r: order.index(r.name))


def path(name: str, *, size: str | None = None, root: str | os.PathLike | None = None) -> Path:
    """The folder of a dataset, made first if missing and checked against the manifest."""
    size = data_size(size)
    (result,) = prepare([name], size=size, root=root)
    if result.made:
        print(
            f"hpclab.data: made {name} ({size}, {result.files} files, {result.bytes / 1e6:.1f} MB) "
            f"in {result.seconds:.1f} s under {result.folder.parent}"
        )
    return result.folder


# --------------------------------------------------------------------------- the air-temperature dataset


def _bounded_downloader(deadline: float) -> Callable:
    """A pooch downloader (standard library only) that stops at ``deadline`` (time.monotonic)."""

    def download(url: str, output_file, _pooch) -> None:
        import urllib.request

        from hpclab import __version__

        request = urllib.request.Request(url, headers={"User-Agent": f"hpclab/{__version__}"})
        wait = max(0.1, min(10.0, deadline - time.monotonic()))  # per connect and per read
        with urllib.request.urlopen(request, timeout=wait) as response, open(output_file, "wb") as out:
            while block := response.read1(1 << 16):  # whatever has arrived, so the check below runs often
                if time.monotonic() > deadline:
                    raise TimeoutError("the download did not finish in time")
                out.write(block)

    return download


def download_air_temperature(
    folder: str | os.PathLike | None = None,
    *,
    url: str | None = None,
    known_hash: str | None = None,
    timeout: float = 60.0,
) -> Path:
    """Download the real NCEP air-temperature sample (xarray's tutorial file), checksum-verified.

    ``url`` and ``known_hash`` default to :data:`NCEP_URL` and :data:`NCEP_HASH`.
    The file is kept in ``folder`` (default: ``downloads/`` in the data folder)
    and reused while it matches the checksum. Raises DataError when the
    download fails, does not finish within ``timeout`` seconds, or does not match.
    """
    import threading

    import pooch

    url, known_hash = url or NCEP_URL, known_hash or NCEP_HASH
    folder = data_root() / "downloads" if folder is None else Path(folder)
    _ensure_writable(folder)
    deadline = time.monotonic() + timeout
    outcome: dict = {}

    def fetch() -> None:
        try:
            pooch.get_logger().setLevel("WARNING")  # no "Downloading ..." chatter
            outcome["path"] = pooch.retrieve(
                url,
                known_hash=known_hash,
                fname="air_temperature.nc",
                path=folder,
                downloader=_bounded_downloader(deadline),
                progressbar=False,
            )
        except BaseException as exc:  # handed to the caller below
            outcome["error"] = exc

    # A thread bounds even what socket timeouts do not (a slow name lookup); it ends on its own later.
    worker = threading.Thread(target=fetch, name="hpclab-download", daemon=True)
    worker.start()
    worker.join(timeout + 1.0)
    error = outcome.get("error", None if "path" in outcome else TimeoutError("no answer in time"))
    if isinstance(error, ValueError):  # pooch: the checksum does not match
        raise DataError(
            f"The file from {url} does not match its published checksum {known_hash}, so it was "
            f"discarded ({str(error).splitlines()[0]}). Try again later, or use the generated copy."
        ) from None
    if isinstance(error, OSError):  # URLError, HTTPError, TimeoutError, refused connections
        raise DataError(
            f"Could not download {url} ({type(error).__name__}: {error}; time limit {timeout:g} s). This "
            "machine may have no internet (compute nodes often do not): download it on a login node "
            "with `hpclab data prepare --download`, or use the generated copy."
        ) from None
    if error is not None:
        raise error
    return Path(outcome["path"])


def air_temperature(
    chunks: dict | str | int | None = None,
    *,
    size: str | None = None,
    root: str | os.PathLike | None = None,
    source: str | None = None,
):
    """Open the air-temperature Dataset (time, lat, lon; variable ``air`` in K), lazily.

    ``chunks`` is passed to ``xarray.open_dataset``: give it to get Dask arrays.
    ``source`` (else ``HPCLAB_AIR_SOURCE``, else ``"generated"``): ``"generated"``
    never touches the network; ``"download"`` uses the real NCEP file (downloaded
    once, checksum-verified) and falls back to the generated one, with one
    warning, when that is not possible.
    """
    import xarray as xr

    source = (source or os.environ.get(AIR_SOURCE_ENV) or "generated").strip().lower()
    if source not in ("generated", "download"):
        raise DataError(f"Unknown air-temperature source {source!r}: use 'generated' or 'download'.")
    if source == "download":
        try:
            real = download_air_temperature(data_root(root) / "downloads")
            return xr.open_dataset(real, chunks=chunks)
        except DataError as exc:
            warnings.warn(
                f"{exc} Using the generated air temperature instead (same grid and metadata).",
                OfflineFallback,
                stacklevel=2,
            )
    folder = path("air_temperature", size=size, root=root)
    return xr.open_dataset(folder / "air_temperature.nc", engine="h5netcdf", chunks=chunks)
