"""The website's builder: executed outputs reused (and never stale), links checked, solutions left out."""

from __future__ import annotations

import html
import json
import re

import nbformat
import pytest

from hpclab.tools import site
from tests.support import ROOT

LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _lesson(path, text="# 99 · A lesson\n\n**Questions**"):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(text), nbformat.v4.new_code_cell("print(6 * 7)")]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return nb


def test_a_saved_run_is_stamped_and_reused_only_while_its_source_is_unchanged(tmp_path):
    source = tmp_path / "notebooks" / "99-lesson.ipynb"
    nb = _lesson(source)
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="42\n")]
    saved = site.save_executed(source, nb, tmp_path, elapsed=3.2)
    assert saved == tmp_path / "build" / "executed" / "notebooks" / "99-lesson.ipynb"
    stamp = json.loads(saved.with_suffix(".json").read_text())
    assert stamp["notebook"] == "notebooks/99-lesson.ipynb" and stamp["elapsed_s"] == 3.2
    assert stamp["versions"]["dask"] and stamp["python"] and stamp["ran"].endswith("UTC")
    executed, again = site.executed_copy(source, tmp_path)
    assert executed.cells[1].outputs[0]["text"] == "42\n" and again == stamp
    _lesson(source, "# 99 · A lesson, changed since it ran")
    assert site.executed_copy(source, tmp_path) is None, "a stale run must not be shown as this lesson's outputs"


def test_links_to_what_the_site_leaves_out_become_plain_text(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "setup.md").write_text("# Setup\n")
    page = tmp_path / "docs" / "index.md"
    text = "[setup](setup.md#the-data), [solution](../solutions/01.ipynb), [web](https://x.org), [here](#top)"
    assert site._unlink_missing(text, page, tmp_path) == (
        "[setup](setup.md#the-data), solution (instructor's copy), [web](https://x.org), [here](#top)"
    )
    assert site._retarget_jobscripts("[heat](../jobscripts/heat.sh)") == "[heat](../jobscripts/heat.md)"


def test_the_link_check_finds_a_missing_page_a_missing_anchor_and_lists_external_links(tmp_path):
    (tmp_path / "a.html").write_text(
        '<h1 id="top">A</h1><a href="b.html#there">b</a><a href="b.html#nowhere">x</a>'
        '<a href="c.html">c</a><a href="https://example.org/x">web</a><img src="img/p.png"><a href="#top">up</a>'
    )
    (tmp_path / "b.html").write_text('<section id="there"></section><link rel="stylesheet" href="s.css">')
    (tmp_path / "s.css").write_text("@font-face { src: url('fonts/f.woff2') }")
    broken, external = site.check_links(tmp_path)
    assert broken == [
        "a.html -> b.html#nowhere: no anchor #nowhere",
        "a.html -> c.html: no such file",
        "a.html -> img/p.png: no such file",
        "s.css -> fonts/f.woff2: no such file",
    ]
    assert external == ["https://example.org/x"]


def test_a_job_script_page_shows_the_script_and_its_program():
    page = site._jobscript_page(ROOT / "jobscripts" / "heat.sh", ROOT)
    assert page.startswith("# `heat.sh`")
    assert "```{literalinclude} heat.sh" in page and "programs/heat.py" in page


@pytest.mark.slow
def test_every_internal_link_and_anchor_of_the_built_site_resolves(built_site):
    folder, staged = built_site
    broken, external = site.check_links(folder)
    assert broken == []
    # Listed, not fetched: a maintainer checks them online (`make site` writes external-links.txt).
    assert all(link.startswith(("http://", "https://", "//")) for link in external)


@pytest.mark.slow
def test_the_built_site_has_every_lesson_and_exercise_and_no_solution(built_site):
    folder, staged = built_site
    assert staged.lessons == [p.stem for p in LESSONS]
    for lesson in LESSONS:
        assert (folder / "notebooks" / f"{lesson.stem}.html").is_file()
        assert (folder / "exercises" / f"{lesson.stem}.html").is_file()
    for page in ("setup", "learners", "course-map", "key-points", "glossary", "jobscripts/index", "docs/index"):
        assert (folder / f"{page}.html").is_file(), page
    assert not (folder / "solutions").exists(), "the learners' copy must not carry the solutions"
    page = (folder / "exercises" / "02-dask-futures.html").read_text()
    exercise = html.unescape(re.sub(r"<[^>]+>", "", page))  # code as the reader sees it
    assert "# YOUR CODE HERE" in exercise
    solution = nbformat.read(ROOT / "solutions" / "02-dask-futures.ipynb", as_version=4)
    answers = [
        line.strip()
        for cell in solution.cells
        for block in cell.source.split("### BEGIN SOLUTION")[1:]
        for line in block.split("### END SOLUTION")[0].splitlines()
        if len(line.strip()) > 25
    ]
    assert answers and not [a for a in answers if a in exercise], "an answer of solution 02 is on the exercise page"


@pytest.mark.slow
def test_each_lesson_says_when_its_outputs_last_ran_green(built_site):
    folder, staged = built_site
    for name in staged.executed:
        page = (folder / "notebooks" / name.replace(".ipynb", ".html")).read_text()
        assert "Last ran green" in page and "dask " in page, name
    for name in staged.without_outputs:
        assert "Shown without outputs" in (folder / "notebooks" / name.replace(".ipynb", ".html")).read_text()


def test_the_learners_copy_stages_no_solution_and_the_instructors_copy_does(tmp_path):
    learners = site.stage(ROOT, tmp_path / "learners")
    assert not (tmp_path / "learners" / "solutions").exists()
    course_map = (tmp_path / "learners" / "course-map.md").read_text()
    assert "solutions/" not in course_map and "solution (instructor's copy)" in course_map
    assert "jobscripts/heat.md)" in course_map, "a job script link opens its page"
    index = (tmp_path / "learners" / "index.md").read_text()
    assert "Exercise 02 <exercises/02-dask-futures>" in index and "Solution" not in index
    assert learners.lessons == [p.stem for p in LESSONS]
    instructors = site.stage(ROOT, tmp_path / "instructors", solutions=True)
    assert instructors.solutions
    assert sorted(p.name for p in (tmp_path / "instructors" / "solutions").glob("*.ipynb")) == sorted(
        p.name for p in (ROOT / "solutions").glob("*.ipynb")
    )
    assert "Solution 02 <solutions/02-dask-futures>" in (tmp_path / "instructors" / "index.md").read_text()
