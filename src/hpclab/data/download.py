"""The real air-temperature data: NCEP's sample (xarray's tutorial file), with the generated copy as fallback.

Lesson 06 can use the real NCEP/NCAR reanalysis subset instead of the
generated dataset (``source="download"``, or ``HPCLAB_AIR_SOURCE=download``).
Compute nodes often have no internet, so the download is bounded in time,
checked against its publisher's checksum, and when it is not possible the
generated copy (same grid and metadata) is used with one warning.
"""

from __future__ import annotations

import os
import threading
import time
import urllib.request
import warnings
from collections.abc import Callable
from pathlib import Path

from hpclab import __version__, config
from hpclab.data.errors import DataError
from hpclab.data.making import path
from hpclab.data.paths import data_root, ensure_writable

# The real NCEP sample that xarray's tutorial downloads, with the checksum its
# publisher lists beside it (air_temperature.nc.md5 in the same repository).
NCEP_URL = "https://github.com/pydata/xarray-data/raw/master/air_temperature.nc"
NCEP_HASH = "md5:de5b9d45db48cf6b7034de1a4a6d6c98"


class OfflineFallback(UserWarning):
    """The real dataset could not be downloaded, so the generated one is used."""


def _bounded_downloader(deadline: float) -> Callable:
    """A pooch downloader (standard library only) that stops at ``deadline`` (time.monotonic)."""

    def download(url: str, output_file, _pooch) -> None:
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

    The file is kept in ``folder`` and reused while it matches the checksum;
    ``hpclab data prepare --download`` fetches it ahead of time on a login node.

    Parameters
    ----------
    folder : str or os.PathLike, optional
        Where to keep the file (default: ``downloads/`` in the data folder).
    url : str, optional
        Where to download it from (default: :data:`NCEP_URL`).
    known_hash : str, optional
        Its checksum, as pooch writes it (default: :data:`NCEP_HASH`).
    timeout : float, default 60.0
        Seconds the whole download may take.

    Returns
    -------
    Path
        The downloaded (or already present and matching) file.

    Raises
    ------
    DataError
        The download fails, does not finish within ``timeout`` seconds, or
        does not match the checksum; or ``folder`` cannot be written.
    """
    import pooch  # noqa: PLC0415  pulls in requests; only the opt-in download needs it

    url, known_hash = url or NCEP_URL, known_hash or NCEP_HASH
    folder = data_root() / "downloads" if folder is None else Path(folder)
    ensure_writable(folder)
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

    What lesson 06 calls: ``ds = hpclab.data.air_temperature(chunks={"time": -1})``.
    The generated data (the default) have the NCEP sample's grid, variable and
    metadata, and are made on this machine on first use: nothing needs the
    internet.

    Parameters
    ----------
    chunks : dict, str or int, optional
        Passed to ``xarray.open_dataset``: give it to get Dask arrays.
    size : str, optional
        ``"small"`` or ``"full"`` for the generated data (default:
        ``HPCLAB_DATA_SIZE``, else ``full``).
    root : str or os.PathLike, optional
        The data folder (default: ``HPCLAB_DATA``, else ``data/`` in the course root).
    source : str, optional
        ``"generated"`` never touches the network; ``"download"`` uses the real
        NCEP file (downloaded once, checksum-verified) and falls back to the
        generated one, with one :class:`OfflineFallback` warning, when that is
        not possible. Default: ``HPCLAB_AIR_SOURCE``, else ``"generated"``.

    Returns
    -------
    xarray.Dataset
        Dimensions ``time``, ``lat``, ``lon``; variable ``air`` in K.

    Raises
    ------
    DataError
        An unknown ``source`` or size, or generated files that do not match
        the manifest.
    """
    import xarray as xr  # noqa: PLC0415  heavy: the CLI and the grader import hpclab.data, mostly for paths

    source = (source or os.environ.get(config.AIR_SOURCE) or "generated").strip().lower()
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
