"""The versions the course was tested with: the lock, and keeping pyproject and conda in step with it.

``pyproject.toml`` holds lower bounds (for people who add hpclab to their own
environment); ``requirements.lock`` pins every package, direct or not, to the
version the suite last passed with, for Linux and macOS (made by ``make lock``
with uv's universal resolver); ``environment.yml`` pins the course's direct
packages to the same versions for conda users. ``make install`` installs the
lock, so a workshop's thirty laptops get the course CI tested.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

from hpclab.errors import UsageError

LOCK = "requirements.lock"
EXTRAS = ("mpich", "test", "site")
#: PyPI name -> conda-forge name, where they differ.
CONDA_NAME = {"jupyter-client": "jupyter_client"}
#: In environment.yml only: the interpreter and pip.
CONDA_ONLY = {"python", "pip"}

_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(.*)$")


def normalize(name: str) -> str:
    """PyPI's normal form of a project name (``Jupyter_Client`` -> ``jupyter-client``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _split(requirement: str) -> tuple[str, str]:
    """(normalized name, the rest: version spec and markers) of one requirement line."""
    match = _REQUIREMENT.match(requirement)
    if not match:
        raise UsageError(f"cannot read the requirement {requirement!r}")
    return normalize(match.group(1)), match.group(2).strip()


def lock_versions(text: str) -> dict[str, str]:
    """Every ``name==version`` of a lock file (markers, hashes and ``# via`` comments ignored)."""
    versions = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        name, rest = _split(line)
        pin = re.match(r"==\s*([^\s;\\]+)", rest)
        if not pin:
            raise UsageError(f"lock line {line!r} pins no version (expected name==version)")
        versions[name] = pin.group(1)
    return versions


def direct_requirements(pyproject: str | Path) -> dict[str, str]:
    """The course's own requirements, name -> spec (e.g. ``">=2.4"``), with the mpich and test extras."""
    project = tomllib.loads(Path(pyproject).read_text())["project"]
    lines = list(project["dependencies"])
    for extra in EXTRAS:
        lines += project["optional-dependencies"][extra]
    return dict(_split(line) for line in lines)


def conda_requirements(environment: str | Path) -> dict[str, str]:
    """environment.yml's conda packages (not its pip section), PyPI name -> spec."""
    found = {}
    for entry in yaml.safe_load(Path(environment).read_text())["dependencies"]:
        if isinstance(entry, str):
            name, spec = _split(entry)
            if name not in CONDA_ONLY:
                pypi = next((p for p, c in CONDA_NAME.items() if normalize(c) == name), name)
                found[pypi] = spec
    return found


def _lower_bound(spec: str) -> str | None:
    """The version of a ``>=`` bound in ``spec``, if it has one."""
    match = re.search(r">=\s*([^\s,;]+)", spec)
    return match.group(1) if match else None


def _version_key(version: str) -> tuple[int | str, ...]:
    """A sort key for release versions: numeric parts compare as numbers (``2.10`` after ``2.9``)."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"[.+-]", version))


def out_of_step(root: str | Path) -> list[str]:
    """What disagrees between pyproject.toml, the lock and environment.yml, one sentence each.

    Every direct requirement is locked at a version its lower bound allows;
    environment.yml lists exactly the direct requirements, each pinned
    (``==``) to the locked version.
    """
    root = Path(root)
    direct = direct_requirements(root / "pyproject.toml")
    locked = lock_versions((root / LOCK).read_text())
    conda = conda_requirements(root / "environment.yml")
    problems = []
    for name, spec in sorted(direct.items()):
        if name not in locked:
            problems.append(f"{name} is in pyproject.toml but not in {LOCK}: run `make lock`")
            continue
        bound = _lower_bound(spec)
        if bound and _version_key(locked[name]) < _version_key(bound):
            problems.append(f"{LOCK} pins {name}=={locked[name]}, below pyproject's {spec}: run `make lock`")
        pin = conda.get(name)
        if pin is None:
            problems.append(f"{name} is in pyproject.toml but not in environment.yml")
        elif pin != f"=={locked[name]}":
            problems.append(
                f"environment.yml has {name}{pin}, the lock {name}=={locked[name]}: run `hpclab deps pin-conda`"
            )
    for name in sorted(set(conda) - set(direct)):
        problems.append(f"{name} is in environment.yml but not in pyproject.toml")
    return problems


def pin_conda(environment: str | Path, locked: dict[str, str]) -> str:
    """environment.yml's text with every listed conda package pinned to its locked version."""
    lines = []
    for line in Path(environment).read_text().splitlines():
        match = re.match(r"^(\s*-\s+)([A-Za-z0-9][A-Za-z0-9._-]*)\s*([<>=!~].*)?$", line)
        if match:
            name = normalize(match.group(2))
            pypi = next((p for p, c in CONDA_NAME.items() if normalize(c) == name), name)
            if pypi in locked:
                line = f"{match.group(1)}{match.group(2)}=={locked[pypi]}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def moved(old: dict[str, str], new: dict[str, str]) -> list[str]:
    """What a new lock changes, one line a package: ``dask 2026.8.0 -> 2026.9.0``, ``+ name 1.0``, ``- name``."""
    lines = [f"{name} {old[name]} -> {new[name]}" for name in sorted(set(old) & set(new)) if old[name] != new[name]]
    lines += [f"+ {name} {new[name]}" for name in sorted(set(new) - set(old))]
    lines += [f"- {name} {old[name]}" for name in sorted(set(old) - set(new))]
    return lines
