"""pyproject.toml and environment.yml describe the same environment."""

from __future__ import annotations

import re
import tomllib

import yaml

from tests.support import ROOT  # noqa: E402

# PyPI name -> conda-forge name, where they differ.
CONDA_NAME = {"jupyter-client": "jupyter_client"}
# Only in conda: the interpreter itself and pip.
CONDA_ONLY = {"python", "pip"}


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~\[;]", requirement.strip(), maxsplit=1)[0].lower()


def _pip_names() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = [_name(r) for r in project["dependencies"]]
    for extra in ("mpich", "test", "site"):
        names += [_name(r) for r in project["optional-dependencies"][extra]]
    return {CONDA_NAME.get(n, n) for n in names}


def _conda_names() -> set[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    names = {_name(d) for d in env["dependencies"] if isinstance(d, str)}
    return names - CONDA_ONLY


def test_pip_and_conda_list_the_same_packages():
    pip, conda = _pip_names(), _conda_names()
    assert pip - conda == set(), f"in pyproject.toml but not environment.yml: {sorted(pip - conda)}"
    assert conda - pip == set(), f"in environment.yml but not pyproject.toml: {sorted(conda - pip)}"


def test_environment_installs_hpclab_itself_from_the_checkout():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = [d for d in env["dependencies"] if isinstance(d, dict)]
    assert pip_section and "-e ." in pip_section[0]["pip"]
    assert env["channels"] == ["conda-forge"]
