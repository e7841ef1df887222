"""Every HPCLAB_* variable is listed once, in hpclab.config, and docs/reference/settings.md shows it."""

from __future__ import annotations

import re

from hpclab import config
from tests.support import ROOT  # noqa: E402

NAME = re.compile(r"\bHPCLAB_[A-Z][A-Z0-9_]*[A-Z0-9]\b")
SOURCES = ["src/hpclab/**/*.py", "jobscripts/**/*.sh", "jobscripts/**/*.py", "tests/**/*.py", "Makefile", ".ci/run"]


def _used_names() -> dict[str, str]:
    used = {}
    for pattern in SOURCES:
        for path in ROOT.glob(pattern):
            for name in NAME.findall(path.read_text(errors="replace")):
                used.setdefault(name, str(path.relative_to(ROOT)))
    return used


def test_every_hpclab_variable_used_anywhere_is_listed_in_config():
    listed = {s.name for s in config.SETTINGS}
    unlisted = {name: where for name, where in _used_names().items() if name not in listed}
    assert unlisted == {}, "add these to hpclab.config.SETTINGS (then run `hpclab reference`): " + repr(unlisted)


def test_each_variable_is_listed_once_with_what_it_does():
    names = [s.name for s in config.SETTINGS]
    assert len(names) == len(set(names))
    assert all(s.read_by and s.meaning and s.default for s in config.SETTINGS)


def test_the_settings_page_holds_the_table_made_from_config():
    assert config.markdown_table() in (ROOT / "docs/reference/settings.md").read_text(), (
        "docs/reference/settings.md differs from hpclab.config: run `hpclab reference`"
    )


def test_current_lists_only_the_course_variables_that_are_set():
    env = {"HPCLAB_SITE": "mysite", "HPCLAB_DATA": "/scratch/data", "HOME": "/root"}
    assert config.current(env) == {"HPCLAB_DATA": "/scratch/data", "HPCLAB_SITE": "mysite"}
