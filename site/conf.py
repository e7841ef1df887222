"""Sphinx configuration of the course website (staged by hpclab.tools.site; run `make site`).

Chosen for reading offline: Sphinx, myst-nb and sphinx-book-theme are pip packages that ship every
script, style and font they use, so the built HTML needs no CDN; search is Sphinx's own (a local
index loaded as a script, so it works from file://); math is turned into MathML at build time
(_ext/mathml.py), so no MathJax. Notebooks are never executed here: the lessons carry the outputs
of their last green run in the tests.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "hpclab"
author = "the hpclab course authors"
copyright = "the hpclab course authors, BSD-3-Clause"
html_title = "hpclab: distributed Python on HPC clusters"

extensions = ["myst_nb", "mathml"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["build", ".doctrees", "jobscripts/site", "**/.ipynb_checkpoints"]
if not tags.has("solutions"):  # noqa: F821 (Sphinx provides `tags`)
    exclude_patterns.append("solutions")

myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 4  # the `#anchor` links of the docs pages resolve as on GitHub
suppress_warnings = ["myst.header", "misc.highlighting_failure"]

# Nothing runs twice: the outputs are those CI saved. Widgets and Bokeh would load their
# JavaScript from a CDN, so their outputs show as their text (or HTML) form instead.
nb_execution_mode = "off"
nb_ipywidgets_js = {}
nb_mime_priority_overrides = [
    ("html", "application/vnd.jupyter.widget-view+json", None),
    ("html", "application/vnd.bokehjs_load.v0+json", None),
    ("html", "application/vnd.bokehjs_exec.v0+json", None),
    ("html", "application/javascript", None),
]
nb_merge_streams = True

html_theme = "sphinx_book_theme"
html_math_renderer = "mathml"
html_static_path = ["_static"]
html_css_files = ["hpclab.css"]
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "use_source_button": False,
    "use_issues_button": False,
    "use_edit_page_button": False,
    "launch_buttons": {},
    "search_bar_text": "Search the course…",
    "navigation_with_keys": False,
    "show_navbar_depth": 1,
}
html_show_search_summary = False  # summaries fetch() each page, which file:// refuses
