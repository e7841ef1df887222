"""The website as a learner reads it: from file:// in Debian's chromium, with every other request aborted.

Every page loads with no failed request and no request beyond file:// (a compute node has no
network), its images and plots render, math shows as MathML, search finds a lesson's words, and
the lesson -> exercise -> next lesson navigation works from the page's own "next" links.
"""

from __future__ import annotations

import pytest

from tests.support import chromium

pytestmark = [pytest.mark.slow, pytest.mark.browser]

WAIT_MS = 30_000
LOCAL = ("file:", "data:", "blob:", "about:")


class Watch:
    """Every request a page makes that is not local, and every request that failed."""

    def __init__(self) -> None:
        self.offsite: list[str] = []
        self.failed: list[str] = []

    def attach(self, page) -> None:
        page.on("request", lambda r: None if r.url.startswith(LOCAL) else self.offsite.append(r.url))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url}: {r.failure}"))


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Debian's chromium, headless, fresh profile; any request that is not file:// or loopback is aborted."""

    def local_only(url: str) -> bool:
        return url.startswith(LOCAL) or url.startswith(("http://127.0.0.1", "http://localhost"))

    with chromium(tmp_path_factory.mktemp("chromium-profile"), local_only, width=1300, height=900) as context:
        yield context


@pytest.fixture
def page(browser):
    page = browser.new_page()
    watch = Watch()
    watch.attach(page)
    page.watch = watch
    try:
        yield page
    finally:
        page.close()
    assert not watch.offsite, f"the site tried to reach the network: {sorted(set(watch.offsite))[:10]}"


BROKEN_IMAGES = """() => [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"""


def test_every_page_loads_from_file_with_no_failed_request_and_its_images_render(page, built_site):
    folder, staged = built_site
    pages = sorted(p for p in folder.rglob("*.html") if "_static" not in p.relative_to(folder).parts)
    assert len(pages) > 40
    broken, images = {}, 0
    for path in pages:
        page.goto(path.as_uri(), wait_until="load")
        bad = page.evaluate(BROKEN_IMAGES)
        images += page.evaluate("() => document.images.length")
        if bad:
            broken[path.name] = bad
    assert not page.watch.failed, f"failed requests: {page.watch.failed[:10]}"
    assert not broken, f"images that did not render: {broken}"
    assert images > 0
    if staged.executed:  # plots come from the saved runs: at least one lesson's plot is an <img>
        plots = [path for path in pages if "notebooks" in path.parts and 'src="../_images/' in path.read_text()]
        assert plots, "no lesson page shows a plot from its saved run"


def test_math_renders_as_mathml(page, built_site):
    folder, _ = built_site
    page.goto((folder / "notebooks" / "01-parallel-concepts.html").as_uri())
    size = page.evaluate(
        "() => { const m = document.querySelector('math'); const r = m.getBoundingClientRect(); return [r.width, r.height]; }"
    )
    assert size[0] > 5 and size[1] > 5, size


def test_search_finds_a_term_from_a_lesson_offline(page, built_site):
    folder, _ = built_site
    page.goto((folder / "search.html").as_uri() + "?q=scatter")
    results = page.locator("#search-results li a")
    results.first.wait_for(timeout=WAIT_MS)
    hrefs = results.evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert any("02-dask-futures" in h for h in hrefs), hrefs
    results.filter(has_text="Dask delayed and futures").first.click()
    page.wait_for_url("**/notebooks/02-dask-futures.html*", timeout=WAIT_MS)
    assert not page.watch.failed, page.watch.failed


def test_lesson_then_exercise_then_next_lesson_from_the_next_links(page, built_site):
    folder, _ = built_site
    page.goto((folder / "notebooks" / "02-dask-futures.html").as_uri())
    page.locator("a.right-next").click()
    page.wait_for_url("**/exercises/02-dask-futures.html", timeout=WAIT_MS)
    assert "YOUR CODE HERE" in page.content()
    page.locator("a.right-next").click()
    page.wait_for_url("**/notebooks/03-dask-arrays.html", timeout=WAIT_MS)
    page.locator("a.left-prev").click()
    page.wait_for_url("**/exercises/02-dask-futures.html", timeout=WAIT_MS)
    # The sidebar lists every lesson; its link opens the course map.
    page.locator(".bd-sidebar a", has_text="Course map").first.click()
    page.wait_for_url("**/course-map.html", timeout=WAIT_MS)
    assert not page.watch.failed, page.watch.failed


def test_the_watch_sees_a_request_beyond_file_and_a_failed_one(browser, tmp_path):
    """The checks above can fail: an off-site image is caught (and aborted), a missing file is a failed request."""
    (tmp_path / "bad.html").write_text('<img src="https://example.org/x.png"><img src="missing.png">')
    page = browser.new_page()
    watch = Watch()
    watch.attach(page)
    try:
        page.goto((tmp_path / "bad.html").as_uri(), wait_until="load")
        assert len(page.evaluate(BROKEN_IMAGES)) == 2
    finally:
        page.close()
    assert watch.offsite == ["https://example.org/x.png"]
    assert {url.rsplit("/", 1)[-1].split(":")[0] for url in watch.failed} == {"x.png", "missing.png"}
