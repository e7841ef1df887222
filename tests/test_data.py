"""hpclab.data: seeded offline datasets, the manifest, `hpclab data prepare`, and the real loader."""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hpclab import config, data
from hpclab.data import download, generators
from tests.support import ROOT  # noqa: E402

# A child Python in which every attempt to reach the network fails, as on a compute node.
NO_NETWORK = textwrap.dedent(
    """
    import errno, socket, sys

    def unreachable(*args, **kwargs):
        raise OSError(errno.ENETUNREACH, "network is unreachable (test)")

    socket.socket.connect = socket.socket.connect_ex = unreachable
    socket.create_connection = socket.getaddrinfo = unreachable
    from hpclab.cli import main
    sys.exit(main(sys.argv[1:]))
    """
)


def run_offline(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", NO_NETWORK, *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    """All datasets at the small size, made once for this module."""
    root = tmp_path_factory.mktemp("data")
    data.prepare(size="small", root=root)
    return root


def checksums(root: Path, size: str = "small") -> dict[str, str]:
    manifest = data.read_manifest(root / size)
    return {f: v["sha256"] for d in manifest["datasets"].values() for f, v in d["files"].items()}


# --------------------------------------------------------------------------- determinism and shapes


def test_same_seed_gives_the_same_bytes(small, tmp_path):
    data.prepare(size="small", root=tmp_path)
    first, second = checksums(small), checksums(tmp_path)
    assert first == second
    for relative, digest in first.items():  # and the manifest tells the truth about the files
        assert hashlib.sha256((tmp_path / "small" / relative).read_bytes()).hexdigest() == digest


def test_another_seed_gives_other_data(small, tmp_path):
    data.prepare(["readings"], size="small", root=tmp_path, seed=data.SEED + 1)
    other = checksums(tmp_path)
    assert other and all(other[f] != checksums(small)[f] for f in other)


def test_small_readings_hide_a_text_station_and_missing_flags_after_the_first_file(small):
    files = sorted((small / "small" / "readings").glob("*.csv"))
    assert len(files) == 6
    first = pd.read_csv(files[0])
    assert first["station"].dtype.kind == "i" and first["flag"].dtype.kind == "i"  # what a guess sees
    later = pd.concat(pd.read_csv(f, dtype=data.READINGS_DTYPES) for f in files[1:])
    assert "A7" in set(later["station"])
    assert later["flag"].isna().any()
    everything = pd.concat(pd.read_csv(f, dtype=data.READINGS_DTYPES, parse_dates=["time"]) for f in files)
    assert len(everything) == 3 * 12 * 144 + 3 * 13 * 144
    assert everything["time"].dt.date.nunique() == 6
    assert everything["temperature"].dropna().between(-20, 40).all()


def test_small_people_are_json_lines_with_nested_records(small):
    files = sorted((small / "small" / "people").glob("*.jsonl"))
    records = [json.loads(line) for f in files for line in f.read_text(encoding="utf-8").splitlines()]
    assert len(files) == 4 and len(records) == 2000
    assert len({r["id"] for r in records}) == 2000
    first = records[0]
    assert set(first) >= {"name", "age", "occupation", "address", "languages"}
    assert isinstance(first["name"], list) and set(first["address"]) == {"street", "city", "state"}
    assert all(18 <= r["age"] <= 98 for r in records)


def test_full_size_is_larger_in_every_dataset(tmp_path):
    for name in data.DATASETS:
        spec = data.dataset(name)
        assert len(spec.filenames("full")) >= len(spec.filenames("small"))
    generators._write_readings(tmp_path / "day.csv", 0, "full", data.SEED)  # one file of each, not all of them
    assert len(pd.read_csv(tmp_path / "day.csv")) == 20 * 1440
    generators._write_people(tmp_path / "p.jsonl", 0, "full", data.SEED)
    assert len((tmp_path / "p.jsonl").read_text(encoding="utf-8").splitlines()) == 10_000
    assert len(data.dataset("readings").filenames("full")) == 31
    assert len(data.dataset("people").filenames("full")) == 16


@pytest.mark.parametrize("size, steps", [("small", 1460), ("full", 2920)])
def test_air_temperature_has_the_ncep_sample_grid(size, steps):
    ds = data.make_air_temperature(size)
    assert dict(ds.sizes) == {"time": steps, "lat": 25, "lon": 53}
    np.testing.assert_allclose(ds.lat, np.arange(75, 14.9, -2.5))
    np.testing.assert_allclose(ds.lon, np.arange(200, 330.1, 2.5))
    assert (np.diff(ds.time.values) == np.timedelta64(6, "h")).all()
    assert str(ds.time.values[0])[:10] == "2013-01-01"
    assert ds.air.dtype == np.float32
    assert ds.air.attrs["units"] == "K" and ds.air.attrs["standard_name"] == "air_temperature"
    assert ds.lat.attrs["units"] == "degrees_north" and ds.lon.attrs["units"] == "degrees_east"
    assert ds.attrs["Conventions"].startswith("CF")


def test_air_temperature_is_physically_plausible():
    air = data.make_air_temperature("small").air
    assert 220 < float(air.min()) and float(air.max()) < 320
    zonal = air.mean(["time", "lon"])
    assert float(zonal.sel(lat=15)) - float(zonal.sel(lat=75)) > 25  # warm south, cold north
    monthly = air.sel(lat=60, lon=260).groupby("time.month").mean()
    assert float(monthly.sel(month=7)) - float(monthly.sel(month=1)) > 15  # seasons, strong inland
    tropics = air.sel(lat=15).groupby("time.month").mean()
    assert float(abs(tropics.sel(month=7) - tropics.sel(month=1)).mean()) < 5  # weak in the tropics
    hourly = air.sel(lat=50, lon=260).groupby("time.hour").mean()
    assert float(hourly.max() - hourly.min()) > 2  # a daily cycle over land
    day_to_day = air.sel(lat=50, lon=260).resample(time="1D").mean().diff("time")
    assert float(day_to_day.std()) > 1  # weather, not a smooth curve


def test_air_temperature_opens_with_dask_chunks(small):
    ds = data.air_temperature(chunks={"time": -1, "lat": 10}, size="small", root=small)
    assert ds.air.chunks == ((1460,), (10, 10, 5), (53,))
    assert ds.air.attrs["units"] == "K"
    ds.close()


# --------------------------------------------------------------------------- manifest and bad input


def test_manifest_catches_a_corrupted_file(small, tmp_path):
    data.prepare(["people"], size="small", root=tmp_path)
    victim = tmp_path / "small" / "people" / "people-002.jsonl"
    with open(victim, "a", encoding="utf-8") as out:
        out.write('{"id": -1}\n')
    with pytest.raises(data.DataError, match="people-002.jsonl does not match the manifest") as caught:
        data.verify("people", size="small", root=tmp_path)
    assert "--force" in str(caught.value)
    with pytest.raises(data.DataError, match="people-002.jsonl"):
        data.path("people", size="small", root=tmp_path)  # lessons never read a damaged file
    data.prepare(["people"], size="small", root=tmp_path, force=True)
    assert checksums(tmp_path) == {k: v for k, v in checksums(small).items() if k.startswith("people/")}


def test_missing_files_are_made_again(tmp_path):
    folder = data.path("readings", size="small", root=tmp_path)
    before = checksums(tmp_path)
    (folder / "2024-04-03.csv").unlink()
    assert data.path("readings", size="small", root=tmp_path) == folder
    assert checksums(tmp_path) == before


def test_an_interrupted_run_leaves_nothing_half_made(tmp_path, monkeypatch):
    import dataclasses

    spec = data.dataset("readings")

    def fail_on_third_file(path, index, size, seed):
        if index == 2:
            raise KeyboardInterrupt
        spec.write(path, index, size, seed)

    monkeypatch.setitem(data.DATASETS, "readings", dataclasses.replace(spec, write=fail_on_third_file))
    with pytest.raises(KeyboardInterrupt):
        data.prepare(["readings"], size="small", root=tmp_path)
    folder = tmp_path / "small"
    assert "readings" not in data.read_manifest(folder)["datasets"]
    assert not (folder / "readings").exists() and not list(folder.glob(".readings-*"))
    monkeypatch.setitem(data.DATASETS, "readings", spec)
    assert len(list(data.path("readings", size="small", root=tmp_path).glob("*.csv"))) == 6


def test_two_processes_preparing_at_once_agree(tmp_path):
    command = [
        sys.executable,
        "-c",
        "import hpclab.data as d, sys; d.prepare(['people'], size='small', root=sys.argv[1])",
        str(tmp_path),
    ]
    runs = [subprocess.Popen(command, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    errors = [run.communicate(timeout=120)[1] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], errors
    data.verify("people", size="small", root=tmp_path)
    assert not list((tmp_path / "small").glob(".people-*"))


def test_unknown_dataset_gets_a_suggestion_and_the_list(tmp_path):
    with pytest.raises(data.DataError, match=r"Unknown dataset 'peple'\. Did you mean 'people'\?") as caught:
        data.path("peple", root=tmp_path)
    assert "air_temperature, people, readings" in str(caught.value)


def test_unknown_size_names_the_variable(monkeypatch):
    monkeypatch.setenv(config.DATA_SIZE, "medium")
    with pytest.raises(data.DataError, match=r"'medium' \(from HPCLAB_DATA_SIZE\).*'small'.*'full'"):
        data.data_size()


def test_unwritable_folder_names_the_folder_and_the_fix(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(data.DataError, match="Cannot write to the data folder") as caught:
        data.prepare(["readings"], size="small", root=blocker / "data")
    assert str(blocker / "data") in str(caught.value) and "HPCLAB_DATA" in str(caught.value)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root may write anywhere")
def test_read_only_folder_names_the_folder_and_the_fix(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    try:
        with pytest.raises(data.DataError, match="Cannot write to the data folder"):
            data.prepare(["readings"], size="small", root=locked)
    finally:
        locked.chmod(0o755)


def test_data_folder_defaults_to_data_in_the_course_root(monkeypatch):
    monkeypatch.delenv(config.DATA, raising=False)
    monkeypatch.chdir(ROOT / "notebooks")
    assert data.data_root() == ROOT / "data"
    monkeypatch.setenv(config.DATA, "/somewhere/else")
    assert data.data_root() == Path("/somewhere/else")


# --------------------------------------------------------------------------- the CLI, offline


def test_cli_prepare_works_with_the_network_unreachable(tmp_path):
    done = run_offline("data", "prepare", "--size", "small", "--dir", str(tmp_path), "--no-progress")
    assert done.returncode == 0, done.stderr
    assert "readings" in done.stdout and "manifest:" in done.stdout
    manifest = data.read_manifest(tmp_path / "small")
    assert set(manifest["datasets"]) == set(data.DATASETS)
    again = run_offline("data", "prepare", "--size", "small", "--dir", str(tmp_path), "--no-progress")
    assert again.returncode == 0 and again.stdout.count("checksums match") == len(data.DATASETS)


def test_cli_reports_bad_input_in_one_line_and_fails(tmp_path):
    done = run_offline("data", "prepare", "no-such-data", "--dir", str(tmp_path))
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        "hpclab data: Unknown dataset 'no-such-data'. Known datasets: air_temperature, people, readings."
    ]


def test_cli_download_offline_says_what_to_do(tmp_path):
    done = run_offline(
        "data", "prepare", "readings", "--size", "small", "--dir", str(tmp_path), "--no-progress", "--download"
    )
    assert done.returncode != 0
    assert "Could not download" in done.stderr and "login node" in done.stderr
    assert (tmp_path / "small" / "readings").is_dir()  # the generated data was still made


# --------------------------------------------------------------------------- the real loader, on a local server


class _Files(http.server.BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}

    def do_GET(self):  # noqa: N802 (http.server's naming)
        if self.path == "/slow.nc":  # sends one byte every 0.2 s, forever (until the client gives up)
            self.send_response(200)
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            try:
                for _ in range(100):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                pass
            return
        body = self.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture
def server(tmp_path, monkeypatch):
    """An HTTP server on 127.0.0.1 serving one small netCDF file; yields its base URL and sha256."""
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    sample = tmp_path / "sample.nc"
    data.make_air_temperature("small").isel(time=slice(0, 8)).to_netcdf(sample, engine="h5netcdf")
    body = sample.read_bytes()
    handler = type("Files", (_Files,), {"files": {"/air.nc": body}})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", "sha256:" + hashlib.sha256(body).hexdigest()
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def test_loader_downloads_and_checks_the_file(server, tmp_path):
    base, digest = server
    got = data.download_air_temperature(tmp_path / "dl", url=f"{base}/air.nc", known_hash=digest, timeout=20)
    import xarray as xr

    with xr.open_dataset(got, engine="h5netcdf") as ds:
        assert dict(ds.sizes) == {"time": 8, "lat": 25, "lon": 53}


def test_loader_rejects_a_file_with_the_wrong_checksum(server, tmp_path):
    base, _ = server
    with pytest.raises(data.DataError, match="does not match its published checksum"):
        data.download_air_temperature(
            tmp_path / "dl", url=f"{base}/air.nc", known_hash="sha256:" + "0" * 64, timeout=20
        )
    assert not (tmp_path / "dl" / "air_temperature.nc").exists()  # nothing unchecked is kept


def test_loader_gives_up_on_a_server_that_never_finishes(server, tmp_path):
    base, digest = server
    with pytest.raises(data.DataError, match=r"Could not download .*slow\.nc .*time limit 1 s"):
        data.download_air_temperature(tmp_path / "dl", url=f"{base}/slow.nc", known_hash=digest, timeout=1)


def test_air_temperature_uses_the_download_when_it_checks_out(server, tmp_path, monkeypatch):
    base, digest = server
    monkeypatch.setattr(download, "NCEP_URL", f"{base}/air.nc")
    monkeypatch.setattr(download, "NCEP_HASH", digest)
    ds = data.air_temperature(source="download", size="small", root=tmp_path)
    assert ds.sizes["time"] == 8  # the served file, not the generated year
    ds.close()


def test_air_temperature_falls_back_to_generated_data_with_one_warning(server, tmp_path, monkeypatch):
    base, _ = server
    monkeypatch.setattr(download, "NCEP_URL", f"{base}/air.nc")
    monkeypatch.setattr(download, "NCEP_HASH", "md5:" + "0" * 32)
    with pytest.warns(data.OfflineFallback, match="Using the generated air temperature") as caught:
        ds = data.air_temperature(source="download", size="small", root=tmp_path)
    assert len([w for w in caught if w.category is data.OfflineFallback]) == 1
    assert ds.sizes["time"] == 1460
    ds.close()


def test_closed_port_means_offline(tmp_path):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(data.DataError, match="Could not download"):
        data.download_air_temperature(tmp_path, url=f"http://127.0.0.1:{port}/air.nc", timeout=5)


def test_scratch_folder_can_be_given_per_process(tmp_path, monkeypatch):
    # The grader gives every notebook its own, so parallel grading never shares files.
    monkeypatch.setenv(config.SCRATCH, str(tmp_path / "mine"))
    assert data.scratch_dir() == (tmp_path / "mine").resolve()
    assert (tmp_path / "mine").is_dir()
    monkeypatch.delenv(config.SCRATCH)
    assert data.scratch_dir().name == "scratch"
