"""The report of a ``specc pretrain`` run: ``mlm_curve.png`` and ``report.md``."""

from __future__ import annotations

from pathlib import Path

import yaml

from specc.core.files import write_text
from specc.reports.plots import plot_history
from specc.reports.templating import environment


def plot_mlm_curve(curve: list[dict], path: Path) -> Path:
    """MLM loss and accuracy (train: mean since the previous point; validation: the
    fixed-masked validation texts) against masked sequences seen (:func:`plot_history`)."""
    history = {k: [p[k] for p in curve] for k in ("loss", "accuracy", "val_loss", "val_accuracy")}
    return plot_history(history, path, x=[p["examples"] for p in curve],
                        xlabel="masked sequences seen", ylabel_prefix="MLM ")


def write_pretrain_report(folder: Path, doc: dict, resolved: dict) -> Path:
    """Draw the curve and render ``report.md`` from ``metrics.json``'s content ``doc``."""
    plot_mlm_curve(doc["curve"], folder / "mlm_curve.png")
    text = environment(autoescape=False).get_template("pretrain.md.j2").render(
        m=doc, spec_yaml=yaml.safe_dump(resolved, sort_keys=False))
    path = folder / "report.md"
    write_text(path, text)
    return path
