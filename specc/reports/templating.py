"""The jinja2 environments that render reports, and their filters.

HTML templates are rendered with autoescape on, so every string that comes from data
or a spec (texts, class names, the spec as written) is shown as text, never run as
markup. Markdown has no autoescape: its templates pass such strings through the ``md``
filter, which escapes HTML's special characters and table pipes.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import jinja2


def fmt(value, digits: int = 4) -> str:
    """A metric value with ``digits`` decimals; an em dash for a missing one."""
    return "—" if value is None else f"{value:.{digits}f}"


_MD_PUNCTUATION = re.compile(r"[\\`*_\[\]()!<>&|~$]")
"""The characters that start inline Markdown inside a line: code, emphasis, links and
images, raw HTML and entities, table columns, strikethrough and (GitHub) math. CommonMark
lets any ASCII punctuation be backslash-escaped to stand for itself."""


def md_text(value) -> str:
    """``value`` as literal text inside a Markdown line (and a table cell): ``&``, ``<`` and
    ``>`` as HTML entities (``<script>`` becomes ``&lt;script&gt;``), the other characters of
    :data:`_MD_PUNCTUATION` backslash-escaped (CommonMark 0.31, "Backslash escapes"), so
    ``![](http://host/p.png)``, ``**``, ``#`` or ``|`` in a text render as written, never
    as an image, emphasis, heading or column; line breaks become spaces."""
    def escape(match: re.Match) -> str:
        c = match.group()
        return html.escape(c, quote=False) if c in "&<>" else "\\" + c
    return _MD_PUNCTUATION.sub(escape, re.sub(r"[\r\n\u2028\u2029]+", " ", str(value)))


def md_fence(text: str) -> str:
    """A code fence longer than any run of backticks in ``text`` (so it cannot be closed early)."""
    longest = max((len(r) for r in re.findall(r"`+", text or "")), default=0)
    return "`" * max(3, longest + 1)


def png_data_uri(path: Path) -> str:
    """A ``data:image/png;base64,...`` URI of a PNG file (for a self-contained HTML page)."""
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def environment(autoescape: bool) -> jinja2.Environment:
    """The package's templates (``specc/reports/templates``) with the report filters."""
    env = jinja2.Environment(loader=jinja2.PackageLoader("specc.reports", "templates"),
                             autoescape=autoescape, keep_trailing_newline=True,
                             trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    env.filters.update(fmt=fmt, md=md_text, fence=md_fence,
                       commas=lambda n: "—" if n is None else f"{int(n):,}")
    return env
