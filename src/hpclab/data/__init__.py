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

Modules, one concept each: ``paths`` (course root, data folder, size, scratch
folder; standard library only), ``generators`` (the datasets and how each file
is made), ``manifest`` (checksums and :func:`verify`), ``making``
(:func:`prepare` and :func:`path`), ``download`` (the real NCEP air
temperature, with the generated copy as fallback) and ``errors``. Importing
the package loads no scientific library: the CLI and the grader import it for
its paths, and the generators import NumPy, pandas or xarray when they run.
"""

from __future__ import annotations

from hpclab.data.download import NCEP_HASH, NCEP_URL, OfflineFallback, air_temperature, download_air_temperature
from hpclab.data.errors import DataError
from hpclab.data.generators import (
    DATASETS,
    READINGS_DTYPES,
    SEED,
    Dataset,
    air_temperature_field,
    dataset,
    make_air_temperature,
)
from hpclab.data.making import Prepared, path, prepare
from hpclab.data.manifest import MANIFEST, MANIFEST_FORMAT, read_manifest, sha256, verify
from hpclab.data.paths import DEFAULT_SIZE, SIZES, course_root, data_root, data_size, scratch_dir

__all__ = [
    "DATASETS",
    "DEFAULT_SIZE",
    "MANIFEST",
    "MANIFEST_FORMAT",
    "NCEP_HASH",
    "NCEP_URL",
    "READINGS_DTYPES",
    "SEED",
    "SIZES",
    "DataError",
    "Dataset",
    "OfflineFallback",
    "Prepared",
    "air_temperature",
    "air_temperature_field",
    "course_root",
    "data_root",
    "data_size",
    "dataset",
    "download_air_temperature",
    "make_air_temperature",
    "path",
    "prepare",
    "read_manifest",
    "scratch_dir",
    "sha256",
    "verify",
]
