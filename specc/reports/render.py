"""Render a run folder's report: the plots (PNG files), ``report.md`` and ``report.html``.

Everything is drawn from the files of the run folder (:mod:`specc.reports.runfiles`),
so ``specc train`` (at the end of a run) and ``specc report RUN_DIR`` (at any time
later) produce the same report. Plots follow the task:

- all Keras runs with more than one epoch: ``history.png`` (loss/accuracy, train vs validation);
- classification: ``confusion_matrix.png`` (heatmap), ``class_scores.png`` (per-class
  precision/recall/F1), ``representations.png`` (PCA and t-SNE of the vectors the output
  layer reads, coloured by true class, mistakes marked; t-SNE of at most 400 of them,
  :mod:`specc.reports.projection`); binary also ``roc_pr.png``;
- regression: ``regression.png`` (predicted vs actual, residuals) and for series data
  ``forecast.png`` (the series with the test forecasts overlaid).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from specc.reports.runfiles import RunRecord, load_run


@dataclass
class Plot:
    """One figure of the report: its PNG ``file`` (in the run folder) and a ``title``."""

    file: str
    title: str


def report_settings(record: RunRecord) -> dict:
    """The resolved spec's ``report`` section, over the schema's defaults (which apply
    when ``spec.yaml`` is missing)."""
    from specc.loader.defaults import fill_defaults
    from specc.schema import load_schema
    report = record.resolved.get("report")
    return fill_defaults(load_schema()["properties"]["report"],
                         report if isinstance(report, dict) else {})


def _seed(record: RunRecord) -> int:
    seed = (record.resolved.get("train") or {}).get("seed", 42)
    return seed if isinstance(seed, int) else 42


def draw_plots(record: RunRecord) -> list[Plot]:
    """Draw every plot the run's data allows into its folder (see module docstring)."""
    from specc.core import forked
    from specc.reports.projection import project
    rep, pred = record.representations, record.predictions
    if ("confusion_matrix" in record.metrics and pred is not None and rep is not None
            and len(rep["index"]) >= 2):
        # t-SNE, the slowest part, runs in a forked child while the other plots are drawn
        with forked.start(lambda: project(rep["vectors"], _seed(record))) as projections:
            return _draw(record, projections)
    return _draw(record, None)


def _draw(record: RunRecord, projections) -> list[Plot]:
    """:func:`draw_plots`, the representations' projections (a
    :class:`specc.core.forked.Pending`) under way when there are some."""
    from specc.reports import plots
    from specc.reports.metrics import positive_scores
    m, folder, pred, rep = (record.metrics, record.folder, record.predictions,
                            record.representations)
    out: list[Plot] = []
    if len(record.history.get("loss", [])) > 1:
        plots.plot_history(record.history, folder / "history.png")
        out.append(Plot("history.png", "Training curves: train vs validation, per epoch"))
    if "confusion_matrix" in m:
        names = m["class_names"]
        plots.plot_confusion_matrix(m["confusion_matrix"], names, folder / "confusion_matrix.png")
        out.append(Plot("confusion_matrix.png", "Confusion matrix (test)"))
        plots.plot_class_scores(m["classification_report"], names, folder / "class_scores.png")
        out.append(Plot("class_scores.png", "Per-class precision, recall and F1 (test)"))
        if pred is not None and m.get("roc_auc") is not None:
            plots.plot_roc_pr(pred["y_true"], positive_scores(pred["scores"]), m["roc_auc"],
                              m["average_precision"], folder / "roc_pr.png")
            out.append(Plot("roc_pr.png", "ROC and precision-recall curves (test)"))
        if projections is not None:
            idx = rep["index"]
            plots.plot_projections(projections.result(), pred["y_true"][idx],
                                   pred["y_pred"][idx], names,
                                   f"representations: {rep['what']}",
                                   folder / "representations.png")
            out.append(Plot("representations.png",
                            "Learned representations of test examples: PCA and t-SNE"))
    elif pred is not None:
        plots.plot_regression(pred["y_true"], pred["y_pred"], folder / "regression.png")
        out.append(Plot("regression.png", "Predicted vs actual, and residuals (test)"))
        if "series" in pred:
            plots.plot_forecast(pred["series"], int(pred["test_start"]), pred["y_pred"],
                                folder / "forecast.png")
            out.append(Plot("forecast.png", "The series with the test forecasts overlaid"))
    return out


def report_context(record: RunRecord, plot_list: list[Plot]) -> dict:
    """Everything the report templates show, from a run record and its drawn plots."""
    m = record.metrics
    keys = list(record.history)
    counts = m.get("class_counts")
    rep = record.representations
    return {
        "m": m, "history_keys": keys, "validated": any(k.startswith("val_") for k in keys),
        "history_rows": list(zip(*(record.history[k] for k in keys))) if keys else [],
        "summary": record.summary.rstrip("\n"), "plots": plot_list,
        "spec_source": record.spec_source, "spec_resolved": record.spec_resolved,
        "class_counts": [(name, *(counts[s][i] for s in ("train", "validation", "test")))
                         for i, name in enumerate(m["class_names"])] if counts else [],
        "examples": record.examples or [],
        "representation": None if rep is None else str(rep["what"]),
        "layers": m.get("layers") or [],
        "macro_f1": m.get("classification_report", {}).get("macro avg", {}).get("f1-score"),
    }


def render_run(folder: str | Path, metrics: dict | None = None) -> list[Path]:
    """Draw the plots and write ``report.md`` and ``report.html`` into a run folder.

    Args:
        folder: the run folder.
        metrics: the run's metrics (default: read ``metrics.json``).

    Returns:
        The two report paths.

    Raises:
        UsageError: not a finished run folder, or a run file is damaged.
        RunError: the report cannot be written.
    """
    from specc.reports.html import write_html_report
    from specc.reports.markdown import write_report
    record = load_run(folder, metrics)
    settings = report_settings(record)
    plot_list = draw_plots(record) if settings["plots"] else []
    context = report_context(record, plot_list)
    digits = int(settings["digits"])
    return [write_report(record.folder, context, digits),
            write_html_report(record.folder, context, digits)]

