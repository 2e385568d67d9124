"""The report of a ``specc pretrain`` run: ``mlm_curve.png`` and ``report.md``."""

from __future__ import annotations

from pathlib import Path

import yaml

from specc.core.files import write_text
from specc.reports.plots import draw_or_warn, plot_history
from specc.reports.templating import environment


def plot_mlm_curve(curve: list[dict], path: Path) -> Path:
    """MLM loss and accuracy (train: mean since the previous point; validation: the
    fixed-masked validation texts) against masked sequences seen (:func:`plot_history`)."""
    history = {k: [p[k] for p in curve] for k in ("loss", "accuracy", "val_loss", "val_accuracy")}
    return plot_history(history, path, x=[p["examples"] for p in curve],
                        xlabel="masked sequences seen", ylabel_prefix="MLM ")


def write_pretrain_report(folder: Path, doc: dict, resolved: dict) -> str | None:
    """Draw the curve and render ``report.md`` from ``metrics.json``'s content ``doc``.

    Returns:
        None, or a one-line warning when the curve could not be drawn (the report then
        says so in its place; a plot never fails a run).

    Raises:
        RunError: ``report.md`` cannot be written.
    """
    warning = draw_or_warn(folder / "mlm_curve.png",
                           lambda path: plot_mlm_curve(doc["curve"], path))
    text = environment(autoescape=False).get_template("pretrain.md.j2").render(
        m=doc, spec_yaml=yaml.safe_dump(resolved, sort_keys=False), plot_warning=warning)
    write_text(folder / "report.md", text)
    return warning
