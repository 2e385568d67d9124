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


def md_text(value) -> str:
    """``value`` as text inside Markdown (and a Markdown table cell): HTML characters
    escaped (``<script>`` becomes ``&lt;script&gt;``), ``|`` escaped, line breaks -> spaces."""
    text = html.escape(str(value), quote=False)
    return re.sub(r"[\r\n\u2028\u2029]+", " ", text).replace("|", "\\|")


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
