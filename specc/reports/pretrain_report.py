"""The report of a ``specc pretrain`` run: ``mlm_curve.png`` and ``report.md``."""

from __future__ import annotations

from pathlib import Path

import yaml

from specc.reports.plots import _pyplot, _save
from specc.reports.templating import environment
from specc.runtime.rundir import write_text


def plot_mlm_curve(curve: list[dict], path: Path) -> Path:
    """MLM accuracy and loss (train: mean since the previous point; validation: the
    fixed-masked validation texts) against masked sequences seen."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), squeeze=False)
    seen = [p["examples"] for p in curve]
    for ax, metric in zip(axes[0], ("accuracy", "loss")):
        ax.plot(seen, [p[metric] for p in curve], marker="o", label="train")
        ax.plot(seen, [p[f"val_{metric}"] for p in curve], marker="o", label="validation")
        ax.set_xlabel("masked sequences seen")
        ax.set_ylabel(f"MLM {metric}")
        ax.legend()
        ax.grid(alpha=0.3)
    return _save(fig, path)


def write_pretrain_report(folder: Path, doc: dict, resolved: dict) -> Path:
    """Draw the curve and render ``report.md`` from ``metrics.json``'s content ``doc``."""
    plot_mlm_curve(doc["curve"], folder / "mlm_curve.png")
    text = environment(autoescape=False).get_template("pretrain.md.j2").render(
        m=doc, spec_yaml=yaml.safe_dump(resolved, sort_keys=False))
    path = folder / "report.md"
    write_text(path, text)
    return path
