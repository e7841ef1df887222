"""hpclab kernel install: the course environment as a Jupyter kernel, in a private folder only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from hpclab.tools import kernel


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hpclab.cli", "kernel", "install", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_prefix_install_writes_a_kernelspec_for_this_python(tmp_path):
    proc = _cli("--prefix", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    spec = json.loads((tmp_path / "share/jupyter/kernels/hpclab/kernel.json").read_text())
    assert spec["argv"][0] == sys.executable
    assert spec["display_name"] == "Python (hpclab)"
    assert spec["env"]["PATH"].startswith(str(Path(sys.executable).parent) + os.pathsep)
    assert "Kernel > Change Kernel" in proc.stdout


def test_user_install_goes_to_the_users_jupyter_data_folder(tmp_path):
    proc = _cli("--name", "hpclab-test", "--display-name", "Course", env={"JUPYTER_DATA_DIR": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "kernels/hpclab-test/kernel.json").read_text())["display_name"] == "Course"


def test_a_bad_name_is_refused_with_the_rule():
    with pytest.raises(ValueError, match="letters, digits"):
        kernel.install(prefix="/nonexistent", name="my kernel")


@pytest.mark.slow
def test_the_registered_kernel_starts_with_the_course_environment(tmp_path):
    """Start the installed spec the way a site's Jupyter server would, and ask it who it is."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    where = kernel.install(prefix=tmp_path)
    ksm = KernelSpecManager(kernel_dirs=[str(where.parent)])
    lines: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="hpclab-kernel-") as sockets:
        km = KernelManager(
            kernel_name="hpclab", kernel_spec_manager=ksm, transport="ipc", ip=str(Path(sockets) / "kernel")
        )
        km.start_kernel(env={**os.environ, "PATH": "/usr/bin:/bin"})  # a site PATH without our venv
        try:
            kc = km.client()
            kc.start_channels()
            kc.wait_for_ready(timeout=120)
            reply = kc.execute_interactive(
                "import os, sys; print(sys.executable); print(os.environ['PATH'])",
                timeout=120,
                output_hook=lambda msg: lines.append(msg),
            )
            assert reply["content"]["status"] == "ok"
            kc.stop_channels()
        finally:
            km.shutdown_kernel(now=True)
    text = "".join(m["content"].get("text", "") for m in lines if m["msg_type"] == "stream").splitlines()
    assert text[0] == sys.executable
    assert text[1] == str(Path(sys.executable).parent) + os.pathsep + "/usr/bin:/bin"
