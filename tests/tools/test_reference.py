"""The documentation holds together: generated pages current, links resolving, the changelog's version."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import hpclab
from hpclab import config
from hpclab.cli import parser
from hpclab.tools import reference
from tests.support import ROOT

FIX = f"run `{reference.COMMAND}` in the course root and commit the pages"
PAGES = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").rglob("*.md"))]


# --- generated reference pages ---------------------------------------------------------------


@pytest.mark.parametrize("relative", [reference.SETTINGS_PAGE, reference.CLI_PAGE], ids=str)
def test_the_generated_pages_on_disk_are_what_the_code_makes_now(relative):
    path = ROOT / relative
    assert path.is_file(), f"{relative} is missing: {FIX}"
    assert path.read_text(encoding="utf-8") == reference.pages(parser())[relative], f"{relative} is stale: {FIX}"


def test_a_stale_or_missing_page_is_found_and_check_exits_1_with_the_fix(tmp_path, capsys):
    top = parser()
    assert reference.main(["--root", str(tmp_path)], cli_parser=top) == 0  # writes both pages
    assert reference.stale(tmp_path, top) == {}
    assert reference.main(["--check", "--root", str(tmp_path)], cli_parser=top) == 0

    settings = tmp_path / reference.SETTINGS_PAGE
    settings.write_text(settings.read_text().replace("which dataset size to use", "which size, edited by hand"))
    (tmp_path / reference.CLI_PAGE).unlink()
    capsys.readouterr()
    assert reference.main(["--check", "--root", str(tmp_path)], cli_parser=top) == 1
    err = capsys.readouterr().err
    assert f"{reference.SETTINGS_PAGE} is stale" in err and f"{reference.CLI_PAGE} is stale" in err
    assert "which size, edited by hand" in err  # the diff shows what differs
    assert f"fix: run `{reference.COMMAND}`" in err

    assert reference.main(["--root", str(tmp_path)], cli_parser=top) == 0  # rewriting fixes it
    assert reference.stale(tmp_path, top) == {}


def test_a_new_option_makes_the_cli_page_stale(tmp_path):
    top = parser()
    reference.write(tmp_path, top)
    changed = parser()
    doctor = next(command for command, _, _ in reference.commands(changed) if command.prog == "hpclab doctor")
    doctor.add_argument("--new-option", action="store_true", help="made up")
    assert list(reference.stale(tmp_path, changed)) == [reference.CLI_PAGE]
    assert "| `--new-option` | made up |" in reference.cli_page(changed)


def test_the_cli_page_names_every_subcommand_and_option():
    page = reference.cli_page(parser())
    for prog, heading in [("hpclab grade", "## `hpclab grade`"), ("hpclab data prepare", "### `hpclab data prepare`")]:
        assert heading in page, prog
    for option in ["`--cell-timeout CELL_TIMEOUT`", "`--size {small,full}`", "`--dedicated-cpus`", "`submissions"]:
        assert option in page
    assert "Only one of `--prefix` and `--system` may be given." in page


def test_the_settings_page_holds_every_setting():
    page = reference.settings_page()
    assert config.markdown_table() in page
    assert all(f"`{s.name}`" in page for s in config.SETTINGS)


def test_hpclab_reference_check_passes_on_the_course():
    done = subprocess.run(
        [sys.executable, "-m", "hpclab", "reference", "--check", "--root", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr + f"\n{FIX}"


# --- the changelog -----------------------------------------------------------------------------


def newest_release(changelog: str) -> str | None:
    """The version of the first ``## [x.y.z]`` heading (Unreleased skipped), or None."""
    found = re.search(r"^## \[?(\d+\.\d+\.\d+[^\]\s]*)\]?", changelog, re.M)
    return found.group(1) if found else None


def test_the_newest_release_in_the_changelog_is_the_package_version():
    newest = newest_release((ROOT / "CHANGELOG.md").read_text(encoding="utf-8"))
    assert newest == hpclab.__version__, (
        f"CHANGELOG.md's newest release is {newest}, hpclab.__version__ is {hpclab.__version__}: "
        "a release names its version in both places"
    )


def test_newest_release_skips_unreleased():
    assert newest_release("# Changelog\n\n## [Unreleased]\n\n## [0.2.0] - 2027-01-01\n\n## [0.1.0]\n") == "0.2.0"
    assert newest_release("## Unreleased\n") is None


# --- links and anchors -------------------------------------------------------------------------

FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.M | re.S)
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)


def prose(markdown: str) -> str:
    """Markdown without fenced code, HTML comments and inline code (whose brackets are not links)."""
    markdown = FENCE.sub("", markdown)
    markdown = re.sub(r"<!--.*?-->", "", markdown, flags=re.S)
    return re.sub(r"`[^`\n]*`", "``", markdown)


def slug(heading: str) -> str:
    """The anchor a Git host (GitHub's rule) gives a heading."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading: its text
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """Every heading's anchor; a repeated heading gets -1, -2, ... as on the Git host."""
    seen: dict[str, int] = {}
    found = set()
    for heading in HEADING.findall(FENCE.sub("", markdown)):
        base = slug(heading)
        count = seen.get(base, 0)
        found.add(base if count == 0 else f"{base}-{count}")
        seen[base] = count + 1
    return found


def broken_links(page: Path) -> list[str]:
    """Every relative link of ``page`` whose file, or whose ``#anchor`` in that file, does not exist."""
    broken = []
    for target in LINK.findall(prose(page.read_text(encoding="utf-8"))):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):  # https:, mailto:: not ours to check
            continue
        path, _, anchor = target.partition("#")
        where = (page.parent / path).resolve() if path else page
        if not where.exists():
            broken.append(f"{target}: no such file")
        elif anchor and where.suffix == ".md" and anchor not in anchors(where.read_text(encoding="utf-8")):
            broken.append(f"{target}: no heading there has the anchor #{anchor}")
        elif anchor and where.suffix != ".md":
            broken.append(f"{target}: an anchor into a file that is not Markdown")
    return broken


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_anchor_resolves(page):
    assert broken_links(page) == [], f"{page.relative_to(ROOT)} links to what does not exist"


def test_the_link_check_can_fail(tmp_path):
    (tmp_path / "other.md").write_text("# Other page\n\n## A `code` section: here\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Title\n\n## Same\n\n## Same\n\n"
        "[ok](other.md) [ok](other.md#a-code-section-here) [ok](#same-1) [web](https://example.org/x)\n"
        "[gone](missing.md) [bad](other.md#nowhere) [self](#nothing)\n"
        "`[in code](missing-too.md)`\n\n```\n[in a block](missing-three.md)\n```\n"
    )
    assert broken_links(page) == [
        "missing.md: no such file",
        "other.md#nowhere: no heading there has the anchor #nowhere",
        "#nothing: no heading there has the anchor #nothing",
    ]
