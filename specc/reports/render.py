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

import functools
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


@dataclass
class Drawn:
    """The plots drawn into a run folder, and a one-line warning per plot that failed
    (``"representations.png not drawn: ..."``): a failed plot never fails a report."""

    plots: list[Plot]
    warnings: list[str]


def draw_plots(record: RunRecord) -> Drawn:
    """Draw every plot the run's data allows into its folder (see module docstring)."""
    from specc.core import forked
    from specc.reports.projection import project
    rep, pred = record.representations, record.predictions
    if ("confusion_matrix" in record.metrics and pred is not None and rep is not None
            and len(rep["index"]) >= 2):
        # t-SNE, the slowest part, runs in a child process while the other plots are drawn;
        # a crash there (native code) is a warning, never a crash of this process
        with forked.isolated(functools.partial(project, rep["vectors"],
                                               _seed(record))) as projections:
            return _draw(record, projections)
    return _draw(record, None)


def _draw(record: RunRecord, projections) -> Drawn:
    """:func:`draw_plots`, the representations' projections (a
    :class:`specc.core.forked.Pending`) under way when there are some."""
    from specc.reports.plots import draw_or_warn
    drawn = Drawn([], [])
    for file, title, draw in _planned(record, projections):
        warning = draw_or_warn(record.folder / file, draw)
        if warning:
            drawn.warnings.append(warning)
        else:
            drawn.plots.append(Plot(file, title))
    return drawn


def _planned(record: RunRecord, projections) -> list[tuple]:
    """``(file, title, draw(path))`` for every plot the run's data allows."""
    from specc.reports import plots
    from specc.reports.metrics import positive_scores
    m, pred = record.metrics, record.predictions
    out: list[tuple] = []
    if len(record.history.get("loss", [])) > 1:
        out.append(("history.png", "Training curves: train vs validation, per epoch",
                    lambda path: plots.plot_history(record.history, path)))
    if "confusion_matrix" in m:
        names = m["class_names"]
        out.append(("confusion_matrix.png", "Confusion matrix (test)",
                    lambda path: plots.plot_confusion_matrix(m["confusion_matrix"], names,
                                                             path)))
        out.append(("class_scores.png", "Per-class precision, recall and F1 (test)",
                    lambda path: plots.plot_class_scores(m["classification_report"], names,
                                                         path)))
        if pred is not None and m.get("roc_auc") is not None:
            out.append(("roc_pr.png", "ROC and precision-recall curves (test)",
                        lambda path: plots.plot_roc_pr(
                            pred["y_true"], positive_scores(pred["scores"]), m["roc_auc"],
                            m["average_precision"], path)))
        if projections is not None:
            out.append(("representations.png",
                        "Learned representations of test examples: PCA and t-SNE",
                        lambda path: _plot_projections(record, projections.result(), path)))
    elif pred is not None:
        out.append(("regression.png", "Predicted vs actual, and residuals (test)",
                    lambda path: plots.plot_regression(pred["y_true"], pred["y_pred"], path)))
        if "series" in pred:
            out.append(("forecast.png", "The series with the test forecasts overlaid",
                        lambda path: plots.plot_forecast(pred["series"], int(pred["test_start"]),
                                                         pred["y_pred"], path)))
    return out


def _plot_projections(record: RunRecord, projections: dict, path: Path) -> None:
    """The representations plot; raises ValueError when no vector could be projected
    (all non-finite, or fewer than two)."""
    from specc.reports import plots
    if not projections:
        raise ValueError("fewer than two finite vectors to project")
    rep, pred = record.representations, record.predictions
    idx = rep["index"]
    plots.plot_projections(projections, pred["y_true"][idx], pred["y_pred"][idx],
                           record.metrics["class_names"], f"representations: {rep['what']}",
                           path)


def report_context(record: RunRecord, drawn: Drawn) -> dict:
    """Everything the report templates show, from a run record and its drawn plots."""
    m = record.metrics
    keys = list(record.history)
    counts = m.get("class_counts")
    rep = record.representations
    return {
        "m": m, "history_keys": keys, "validated": any(k.startswith("val_") for k in keys),
        "history_rows": list(zip(*(record.history[k] for k in keys))) if keys else [],
        "summary": record.summary.rstrip("\n"), "plots": drawn.plots,
        "plot_warnings": drawn.warnings,
        "spec_source": record.spec_source, "spec_resolved": record.spec_resolved,
        "class_counts": [(name, *(counts[s][i] for s in ("train", "validation", "test")))
                         for i, name in enumerate(m["class_names"])] if counts else [],
        "examples": record.examples or [],
        "representation": None if rep is None else str(rep["what"]),
        "layers": m.get("layers") or [],
        "macro_f1": m.get("classification_report", {}).get("macro avg", {}).get("f1-score"),
    }


@dataclass
class Rendered:
    """What :func:`render_run` wrote: the two report ``paths`` (``report.md``,
    ``report.html``) and a one-line warning per plot that could not be drawn."""

    paths: list[Path]
    warnings: list[str]


def render_run(folder: str | Path, metrics: dict | None = None) -> Rendered:
    """Draw the plots and write ``report.md`` and ``report.html`` into a run folder. A plot
    that fails is left out, with a warning in the result and in both reports.

    Args:
        folder: the run folder.
        metrics: the run's metrics (default: read ``metrics.json``).

    Raises:
        UsageError: not a finished run folder, or a run file is damaged.
        RunError: the report cannot be written.
    """
    from specc.reports.html import write_html_report
    from specc.reports.markdown import write_report
    record = load_run(folder, metrics)
    settings = report_settings(record)
    drawn = draw_plots(record) if settings["plots"] else Drawn([], [])
    context = report_context(record, drawn)
    digits = int(settings["digits"])
    return Rendered([write_report(record.folder, context, digits),
                     write_html_report(record.folder, context, digits)], drawn.warnings)
