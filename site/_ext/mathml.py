"""Math as MathML, written at build time: the site reads offline with no MathJax to vendor.

Browsers render MathML Core natively (Chromium since 109, Firefox, Safari); latex2mathml turns
each formula's LaTeX into it while Sphinx writes the page.
"""

from docutils import nodes
from latex2mathml.converter import convert


def _inline(self, node):
    self.body.append(f'<span class="math">{convert(node.astext(), display="inline")}</span>')
    raise nodes.SkipNode


def _block(self, node):
    self.body.append(self.starttag(node, "div", CLASS="math-block"))
    for part in node.astext().split("\n\n"):
        if part.strip():
            self.body.append(convert(part, display="block"))
    self.body.append("</div>\n")
    raise nodes.SkipNode


def setup(app):
    app.add_html_math_renderer("mathml", (_inline, None), (_block, None))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
