"""JupyterLab as the course starts it: its options, and the extensions the dashboard needs are loaded."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from hpclab.tools.lab import lab_argv

JUPYTER = str(Path(sys.executable).parent / "jupyter")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _jupyter(*args: str) -> str:
    proc = subprocess.run(
        [JUPYTER, *args], capture_output=True, text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"}
    )
    assert proc.returncode == 0, proc.stderr
    return ANSI.sub("", proc.stdout + proc.stderr)


def test_lab_listens_on_loopback_in_the_course_without_news_or_update_checks(tmp_path):
    argv = lab_argv(tmp_path, port=8899, token="t0ken")
    assert argv[:2] == [JUPYTER, "lab"]
    assert "--ServerApp.ip=127.0.0.1" in argv and "--no-browser" in argv
    assert f"--ServerApp.root_dir={tmp_path.resolve()}" in argv
    assert "--LabApp.news_url=None" in argv
    assert "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate" in argv
    assert "--ServerApp.port=8899" in argv and "--IdentityProvider.token=t0ken" in argv
    assert ("--allow-root" in argv) == (os.geteuid() == 0)


def test_jupyter_server_proxy_is_new_enough_to_have_no_auth_bypass():
    major, minor = (int(part) for part in version("jupyter-server-proxy").split(".")[:2])
    assert (major, minor) >= (4, 2)


@pytest.mark.slow
def test_dask_labextension_and_the_proxy_load_in_our_jupyterlab():
    """dask-labextension's last release is from 2023: it must still load in this JupyterLab."""
    front = _jupyter("labextension", "list")
    assert re.search(r"dask-labextension v[\d.]+ enabled\s+OK", front), front
    assert re.search(r"@jupyterhub/jupyter-server-proxy v[\d.]+ enabled\s+OK", front), front
    server = _jupyter("server", "extension", "list")
    for name in ("dask_labextension", "jupyter_server_proxy"):
        assert re.search(rf"{name} [\d.]+ OK", server), server


def test_browser_suite_skips_for_a_learner_but_fails_in_ci(monkeypatch, tmp_path):
    from tests import support

    monkeypatch.setattr(support, "CHROMIUM", str(tmp_path / "no-chromium"))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        support.require_browser()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser tests"):
        support.require_browser()
