"""``report.md``: the run's summary table and test metrics for a person, rendered with jinja2."""

from __future__ import annotations

from pathlib import Path

import jinja2

def _fmt(value, digits: int = 4) -> str:
    """A metric value with ``digits`` decimals; an em dash for a missing one."""
    return "—" if value is None else f"{value:.{digits}f}"


_ENV = jinja2.Environment(loader=jinja2.PackageLoader("specc.reports", "templates"),
                          autoescape=False, keep_trailing_newline=True, trim_blocks=True,
                          lstrip_blocks=True,
                          undefined=jinja2.StrictUndefined)
_ENV.filters["fmt"] = _fmt


def render_report(metrics: dict, history: dict[str, list[float]], summary: str,
                  plots: list[str], digits: int = 4) -> str:
    """Markdown text of the report.

    Args:
        metrics: the content of ``metrics.json``.
        history: per-epoch values by metric name (``loss``, ``val_loss``, ...).
        summary: Keras' model summary as plain text.
        plots: PNG file names (relative to the run folder) to embed.
        digits: decimals shown for metric values.
    """
    keys = list(history)
    rows = list(zip(*(history[k] for k in keys))) if keys else []
    return _ENV.get_template("report.md.j2").render(
        m=metrics, history_keys=keys, history_rows=rows, summary=summary, plots=plots,
        fmt=lambda v: _fmt(v, digits), digits=digits)


def write_report(folder: Path, *args, **kwargs) -> Path:
    """Render :func:`render_report` into ``folder/report.md`` (atomically)."""
    from specc.runtime.rundir import write_text
    path = Path(folder) / "report.md"
    write_text(path, render_report(*args, **kwargs))
    return path
