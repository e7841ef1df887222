"""The course website, built once per test run into a temporary folder (what `make site` does).

Pytest runs tests/course before tests/site, so in a full run (CI) the lessons have just saved
their executed notebooks under build/executed/ and the site shows those outputs. Run alone
(`pytest tests/site`), the fixture builds from whatever build/executed/ holds: lessons with no
fresh saved run are shown without outputs (nothing is executed here), and the build says which.
The tests read the site as a learner gets it: zipped, copied elsewhere and unpacked.
"""

from __future__ import annotations

import shutil

import pytest

from hpclab.tools import site
from tests.support import ROOT


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """(the unpacked site's folder, what was staged): the learners' copy, without solutions."""
    base = tmp_path_factory.mktemp("site")
    staged = site.build(ROOT, base / "built" / "site", staging=base / "src")
    archive = shutil.make_archive(str(base / "hpclab-site"), "zip", base / "built", "site")
    shutil.rmtree(base / "built")  # nothing may point back at where it was built
    shutil.unpack_archive(archive, base / "unpacked")
    return base / "unpacked" / "site", staged
