"""``report.md``: the run's summary, data, test metrics, plots and model for a person,
rendered with jinja2 from :func:`specc.reports.render.report_context`."""

from __future__ import annotations

from pathlib import Path

from specc.reports.templating import environment, fmt

_ENV = environment(autoescape=False)


def render_report(context: dict, digits: int = 4) -> str:
    """Markdown text of the report; PNG plots are linked by file name (same folder).

    Args:
        context: :func:`specc.reports.render.report_context` output.
        digits: decimals shown for metric values.
    """
    return _ENV.get_template("report.md.j2").render(
        **context, fmt=lambda v: fmt(v, digits), digits=digits)


def write_report(folder: Path, context: dict, digits: int = 4) -> Path:
    """Render :func:`render_report` into ``folder/report.md`` (atomically)."""
    from specc.core.files import write_text
    path = Path(folder) / "report.md"
    write_text(path, render_report(context, digits))
    return path
