"""``report.html``: the same report as ``report.md`` as one self-contained page (inline
CSS, plots embedded as base64 PNG data URIs, no scripts), rendered by jinja2 with
autoescape on, so texts from data and specs are shown as text."""

from __future__ import annotations

from pathlib import Path

from specc.reports.templating import environment, fmt, png_data_uri

_ENV = environment(autoescape=True)


def render_html_report(context: dict, folder: Path, digits: int = 4) -> str:
    """HTML text of the report; each plot in ``context["plots"]`` is read from ``folder``.

    Args:
        context: :func:`specc.reports.render.report_context` output.
        folder: the run folder holding the PNG files.
        digits: decimals shown for metric values.
    """
    images = {p.file: png_data_uri(Path(folder) / p.file) for p in context["plots"]}
    return _ENV.get_template("report.html.j2").render(
        **context, images=images, fmt=lambda v: fmt(v, digits), digits=digits)


def write_html_report(folder: Path, context: dict, digits: int = 4) -> Path:
    """Render :func:`render_html_report` into ``folder/report.html`` (atomically)."""
    from specc.core.files import write_text
    path = Path(folder) / "report.html"
    write_text(path, render_html_report(context, folder, digits))
    return path
